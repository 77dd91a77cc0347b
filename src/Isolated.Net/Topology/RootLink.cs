using System.Globalization;
using Isolated.Net.Netlink;
using Isolated.Net.Reaping;

namespace Isolated.Net;

/// <summary>
/// A veth pair from a host to the machine's own (root) network namespace, made by
/// <see cref="Topology.ConnectToRoot(string, string?)"/>: the one opt-in piece of a topology that touches
/// the root namespace, so the host can reach services on the machine at <see cref="RootAddress"/>.
/// It is journaled before it is made; the kernel removes it with the host's namespace, and the reaper
/// removes it after a crash if anything kept that namespace alive.
/// </summary>
public sealed class RootLink : IDisposable
{
    private readonly int _journalId;
    private int _disposed;

    internal RootLink(NetHost host, string rootInterfaceName, string hostInterfaceName, InterfaceAddress rootAddress, InterfaceAddress hostAddress, int journalId)
    {
        Host = host;
        RootInterfaceName = rootInterfaceName;
        HostInterfaceName = hostInterfaceName;
        RootAddress = rootAddress;
        HostAddress = hostAddress;
        _journalId = journalId;
    }

    /// <summary>The host the link leads to.</summary>
    public NetHost Host { get; }

    /// <summary>The interface's name in the root namespace (unique per process, tagged with an alias).</summary>
    public string RootInterfaceName { get; }

    /// <summary>The interface's name inside the host.</summary>
    public string HostInterfaceName { get; }

    /// <summary>The machine's address on the link: services bound to it (or to 0.0.0.0) are reachable from the host.</summary>
    public InterfaceAddress RootAddress { get; }

    /// <summary>The host's address on the link.</summary>
    public InterfaceAddress HostAddress { get; }

    /// <summary>Removes the link from the root namespace (and so from the host).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            // Equivalent to: ip link del ROOTNAME
            RootNamespace.Value.Netlink.DeleteLink(RootInterfaceName);
        }
        catch (NetworkOperationException ex) when (ex.ErrnoName == "ENODEV")
        {
            // the host's namespace went first and took the pair with it
        }
        RunJournal.Release(_journalId);
    }

    internal void Forget() => RunJournal.Release(Interlocked.Exchange(ref _disposed, 1) == 0 ? _journalId : 0);

    /// <inheritdoc />
    public override string ToString() => $"root link {RootInterfaceName} ({RootAddress}) <-> {Host.Name}:{HostInterfaceName} ({HostAddress})";

    /// <summary>The alias every root link carries: the reaper deletes only links tagged by a run it releases.</summary>
    internal static string Tag => string.Create(CultureInfo.InvariantCulture, $"isolated-net:{Environment.ProcessId}:{RunJournal.ProcStartTime(Environment.ProcessId) ?? 0}");
}

// The root namespace, opened once (a namespace thread that sits in the machine's namespace), for the
// few requests that must be made there.
internal static class RootNamespace
{
    private static readonly Lazy<NetworkNamespace> s_value = new(() => NetworkNamespace.Open("/proc/self/ns/net"));

    public static NetworkNamespace Value => s_value.Value;
}
