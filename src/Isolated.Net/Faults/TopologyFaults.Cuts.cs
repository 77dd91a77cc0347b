using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.Faults;

// Partitions: the set of cut host pairs, and the per-host BPF cut map of sources each host must not hear.
internal sealed partial class TopologyFaults
{
    /// <summary>Adds cuts between every pair of hosts given, then updates every host's filters.</summary>
    public void Cut(IReadOnlyCollection<(NetHost First, NetHost Second)> pairs)
    {
        RequireFeature(KernelFeatures.BpfClassifier);
        lock (_lock)
        {
            foreach (var (first, second) in pairs)
            {
                _cuts.Add(PairKey(first.Name, second.Name));
            }
            ApplyCuts();
        }
    }

    public void Heal()
    {
        lock (_lock)
        {
            if (_cuts.Count == 0)
            {
                return;
            }
            _cuts.Clear();
            ApplyCuts();
        }
    }

    public bool IsCut(NetHost first, NetHost second)
    {
        lock (_lock)
        {
            return _cuts.Contains(PairKey(first.Name, second.Name));
        }
    }

    // Runs under _lock: every host's filters as its cuts need them, then its cut map's contents.
    private void ApplyCuts()
    {
        foreach (var host in topology.Hosts)
        {
            foreach (var hostInterface in host.Interfaces)
            {
                ReconcileFilter(HostDevice(hostInterface));
            }
            UpdateCutMap(host);
        }
        if (logger?.IsEnabled(LogLevel.Information) == true)
        {
            logger.LogInformation("Cuts now: {Cuts}", _cuts.Count == 0 ? "none" : string.Join(", ", _cuts.Select(c => c.Item1 + "-/-" + c.Item2)));
        }
    }

    private bool HasCuts(NetHost host) => _cuts.Any(c => c.Item1 == host.Name || c.Item2 == host.Name);

    private HashSet<IPAddress> CutSources(NetHost host)
    {
        var sources = new HashSet<IPAddress>();
        foreach (var (first, second) in _cuts)
        {
            string? other = first == host.Name ? second : second == host.Name ? first : null;
            if (other is null)
            {
                continue;
            }
            foreach (var hostInterface in topology[other].Interfaces)
            {
                if (hostInterface.IPv4 is { } v4)
                {
                    sources.Add(v4.Address);
                }
                if (hostInterface.IPv6 is { } v6)
                {
                    sources.Add(v6.Address);
                }
            }
        }
        return sources;
    }

    // Equivalent to: bpftool map update/delete id CUTMAP key ADDRESS, for the difference
    private void UpdateCutMap(NetHost host)
    {
        var cutMap = CutMapOf(host);
        var wanted = CutSources(host);
        if (cutMap.Users == 0)
        {
            return; // no filter, no map: the host has no cuts
        }
        var removed = cutMap.Installed.Except(wanted).ToList();
        var added = wanted.Except(cutMap.Installed).ToList();
        if (removed.Count == 0 && added.Count == 0)
        {
            return;
        }
        using var map = OpenMap(cutMap.Id, FaultFilterProgram.CutMapName);
        foreach (var address in removed)
        {
            BpfSyscalls.DeleteElement(map, CutKey(address), $"cut source {address} of {host}");
            cutMap.Installed.Remove(address);
        }
        foreach (var address in added)
        {
            BpfSyscalls.UpdateElement(map, CutKey(address), [1, 0, 0, 0], $"cut source {address} of {host}");
            cutMap.Installed.Add(address);
        }
    }

    // A map id is reused only after the map is gone; the name check catches a filter removed behind our back.
    private static BpfObjectHandle OpenMap(uint id, string expectedName)
    {
        var map = BpfSyscalls.OpenMap(id);
        if (BpfSyscalls.MapInfo(map).Name != expectedName)
        {
            map.Dispose();
            throw new InvalidOperationException($"BPF map #{id} is no longer the fault filter's '{expectedName}': was the clsact qdisc removed from outside?");
        }
        return map;
    }

    private CutMap CutMapOf(NetHost host)
    {
        if (!_cutMaps.TryGetValue(host, out var cutMap))
        {
            cutMap = new CutMap();
            _cutMaps.Add(host, cutMap);
        }
        return cutMap;
    }

    /// <summary>The cut-map key of an address: IPv6 as is, IPv4 as ::ffff:a.b.c.d (what the filter builds).</summary>
    internal static byte[] CutKey(IPAddress address) =>
        (address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();

    private static (string, string) PairKey(string first, string second) =>
        string.CompareOrdinal(first, second) <= 0 ? (first, second) : (second, first);

    private sealed class CutMap
    {
        public uint Id { get; set; }

        public int Users { get; set; }

        public HashSet<IPAddress> Installed { get; } = [];
    }
}
