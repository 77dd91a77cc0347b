using System.Text.Json;
using Isolated.Net.Faults;
using Isolated.Net.Namespaces;

namespace Isolated.Net;

// Saving a built topology as a file (TopologyBuilder.FromFile reads it back), and the named namespaces
// `isolated-net up` gives its hosts so other processes can enter them.
public sealed partial class Topology
{
    private TopologySpec? _source;

    /// <summary>
    /// The topology as a topology file (JSON): everything it was built with, every subnet, interface name
    /// and address as built, each impaired link's current settings and seed, and the faults in force now
    /// (cuts, isolations, exceptions, interfaces set down, kernel impairments).
    /// <c>TopologyBuilder.FromJson(net.ToJson()).Build()</c> builds the same network with the same faults.
    /// </summary>
    public string ToJson()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var source = _source ?? throw new InvalidOperationException("This topology was not built by a TopologyBuilder, so it has no description to save.");
        return JsonSerializer.Serialize(TopologyFileWriter.ToModel(this, source), TopologyFileJsonContext.Default.TopologyFileModel) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> (replacing it); load it with <see cref="TopologyBuilder.FromFile"/> or <c>isolated-net up</c>.</summary>
    /// <param name="path">The file to write.</param>
    public void ToFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var json = ToJson();
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, json);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Saves <see cref="ToJson"/> as <c>NAME-TIMESTAMP.topology.json</c> in <paramref name="directory"/> (default:
    /// where packet captures go, <c>$TMPDIR/isolated-net-captures/</c>) and returns its path. The test adapters
    /// call it when a test in a topology fails and print <c>reproduce: isolated-net up PATH</c>.
    /// </summary>
    /// <param name="name">What the file is named after, e.g. the failing test; characters other than letters, digits, '-', '_' and '.' become '-'.</param>
    /// <param name="directory">The directory (created if missing); null for the packet captures' directory.</param>
    public string SaveReproduction(string name, string? directory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        directory ??= PacketCapture.DefaultDirectory();
        Directory.CreateDirectory(directory);
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        var path = Path.Combine(directory, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{safe}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.topology.json"));
        ToFile(path);
        return path;
    }

    // Called by TopologyBuilder.Build: remember the description, then replay a file's saved faults.
    internal Topology WithSource(TopologySpec spec)
    {
        _source = spec;
        if (spec.SavedFaults is { } faults)
        {
            try
            {
                ApplySavedFaults(faults);
            }
            catch
            {
                Dispose();
                throw;
            }
        }
        return this;
    }

    private void ApplySavedFaults(SavedFaults saved)
    {
        foreach (var host in saved.Isolated)
        {
            var mode = saved.Cuts.FirstOrDefault(c => c.IsWhole && (c.From == host || c.To == host))?.Mode ?? CutMode.Drop;
            Isolate(host, mode);
        }
        if (saved.Cuts.Count > 0)
        {
            Faults.Cut(saved.Cuts);
        }
        if (saved.Allows.Count > 0)
        {
            Faults.Allow(saved.Allows);
        }
        foreach (var (host, name, outbound, impairment) in saved.Impairments)
        {
            Faults.Impair(InterfaceOf(host, name), outbound, impairment);
        }
        if (saved.Down.Count > 0)
        {
            Faults.SetDown([.. saved.Down.Select(d => InterfaceOf(d.Host, d.Interface))]);
        }
    }

    internal HostInterface InterfaceOf(string host, string name) =>
        this[host].Interfaces.FirstOrDefault(i => i.Name == name)
        ?? throw new KeyNotFoundException($"Host '{host}' has no interface '{name}'; it has {string.Join(", ", this[host].Interfaces.Select(i => i.Name))}.");

    // /run/netns/{prefix}{host} for every host, so `ip netns exec`, nsenter and `isolated-net exec` can
    // enter them. Journaled before each mount exists (NamedNamespaces.Reserve), so the reaper removes
    // them if this process is killed; disposing the result removes them.
    internal NamedHosts NameHosts(string prefix)
    {
        var named = new NamedHosts();
        try
        {
            foreach (var host in _hostOrder)
            {
                var name = prefix + host.Name;
                // Programs other processes start in it (isolated-net exec) are not ours to record one by
                // one: journal the namespace, so the reaper kills whatever lives there if we are killed.
                named.AddNamespace(host, Reaping.RunJournal.RecordNamespace(host.Namespace, host.Name));
                var (path, journalId) = NamedNamespaces.Reserve(name);
                named.Add(path, journalId);
                host.Namespace.Run(() => NamedNamespaces.BindCurrentThread(path, name, journalId));
            }
        }
        catch
        {
            named.Dispose();
            throw;
        }
        return named;
    }
}

// Disposing stops every process other programs started inside the hosts (SIGTERM, a grace period,
// SIGKILL), then removes the names: `isolated-net down` leaves nothing running and nothing mounted.
internal sealed class NamedHosts : IDisposable
{
    private readonly List<(string Path, int JournalId)> _mounts = [];
    private readonly List<(NetHost Host, int JournalId)> _namespaces = [];

    public IReadOnlyList<string> Paths => [.. _mounts.Select(m => m.Path)];

    public void Add(string path, int journalId) => _mounts.Add((path, journalId));

    public void AddNamespace(NetHost host, int journalId) => _namespaces.Add((host, journalId));

    public void Dispose()
    {
        StopProcesses(TimeSpan.FromSeconds(2));
        foreach (var (path, journalId) in _mounts)
        {
            NamedNamespaces.Remove(path, journalId);
        }
        _mounts.Clear();
        foreach (var (_, journalId) in _namespaces)
        {
            Reaping.RunJournal.Release(journalId);
        }
        _namespaces.Clear();
    }

    private void StopProcesses(TimeSpan grace)
    {
        int signal = Tmds.Linux.LibC.SIGTERM;
        var deadline = DateTime.UtcNow + grace;
        while (true)
        {
            var inside = _namespaces.SelectMany(n => Reaping.Reaper.ProcessesIn(n.Host.Namespace.Inode)).Where(pid => pid != Environment.ProcessId).ToList();
            if (inside.Count == 0)
            {
                return;
            }
            foreach (var pid in inside)
            {
                _ = Tmds.Linux.LibC.kill(pid, signal);
            }
            if (DateTime.UtcNow > deadline)
            {
                signal = Tmds.Linux.LibC.SIGKILL;
            }
            Thread.Sleep(20);
        }
    }
}
