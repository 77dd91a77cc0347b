using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.Faults;

// Cuts: the set of directional cut rules, the mechanism that enforces them, and (for BPF) the per-host
// cut map of sources each host must not hear.
internal sealed partial class TopologyFaults
{
    /// <summary>Forces a mechanism instead of the best one available (tests of the fallback).</summary>
    internal CutMechanism? PreferredMechanism { get; set; }

    /// <summary>The mechanism in use, or null before the first cut.</summary>
    internal CutMechanism? Mechanism
    {
        get
        {
            lock (_lock)
            {
                return _mechanism;
            }
        }
    }

    /// <summary>Adds the cuts, then updates the hosts they arrive at; on failure none of them stays.</summary>
    /// <param name="rules">Directional rules to add.</param>
    /// <param name="isolated">A host cut off from everything, published ports included.</param>
    public void Cut(IReadOnlyCollection<CutRule> rules, NetHost? isolated = null)
    {
        lock (_lock)
        {
            _mechanism = ChooseMechanism(rules);
            var added = rules.Where(_cuts.Add).ToList();
            bool newlyIsolated = isolated is not null && _isolated.Add(isolated.Name);
            try
            {
                ApplyCuts();
            }
            catch
            {
                _cuts.ExceptWith(added);
                if (newlyIsolated)
                {
                    _isolated.Remove(isolated!.Name);
                }
                try
                {
                    ApplyCuts();
                }
                catch (Exception rollback) when (rollback is NetworkOperationException or InvalidOperationException)
                {
                    logger?.LogWarning(rollback, "Undoing a failed cut failed too");
                }
                throw;
            }
        }
    }

    public void Heal()
    {
        lock (_lock)
        {
            if (_cuts.Count == 0 && _isolated.Count == 0 && _allows.Count == 0)
            {
                return;
            }
            _cuts.Clear();
            _isolated.Clear();
            _allows.Clear();
            ApplyCuts();
        }
    }

    /// <summary>Adds exceptions to the cuts (nftables only), then updates the hosts they concern.</summary>
    public void Allow(IReadOnlyCollection<AllowRule> rules)
    {
        lock (_lock)
        {
            if (_mechanism == CutMechanism.Bpf || (_mechanism is null && (PreferredMechanism == CutMechanism.Bpf || !KernelFeatures.Nftables.IsAvailable)))
            {
                throw new NotSupportedException($"Exceptions to cuts need nftables; this topology cuts with the BPF fault filter because {KernelFeatures.Nftables.SkipReason ?? "the BPF mechanism was chosen"}.");
            }
            _mechanism ??= CutMechanism.Nftables;
            var added = rules.Where(_allows.Add).ToList();
            try
            {
                ApplyCuts();
            }
            catch
            {
                _allows.ExceptWith(added);
                try
                {
                    ApplyCuts();
                }
                catch (Exception rollback) when (rollback is NetworkOperationException or InvalidOperationException)
                {
                    logger?.LogWarning(rollback, "Undoing a failed allow failed too");
                }
                throw;
            }
        }
    }

    /// <summary>True when a cut of all traffic separates the two hosts, in either direction.</summary>
    public bool IsCut(NetHost first, NetHost second)
    {
        lock (_lock)
        {
            return _cuts.Any(c => c.IsWhole && ((c.From == first.Name && c.To == second.Name) || (c.From == second.Name && c.To == first.Name)));
        }
    }

    /// <summary>The cuts in force, in a stable order, e.g. "a -> b drop".</summary>
    public IReadOnlyList<string> DescribeCuts()
    {
        lock (_lock)
        {
            return [.. _cuts.Select(c => c.ToString()).Order(StringComparer.Ordinal), .. _allows.Select(a => a.ToString()).Order(StringComparer.Ordinal)];
        }
    }

    // nftables where it works (it does rootless too, and can reject and match ports); the BPF cut map
    // where nftables is missing and the cuts are whole drops; otherwise say what each one lacks.
    private CutMechanism ChooseMechanism(IReadOnlyCollection<CutRule> rules)
    {
        bool needsNftables = rules.Any(r => !r.IsWhole || r.Mode == CutMode.Reject);
        if (_mechanism is { } chosen)
        {
            if (chosen == CutMechanism.Bpf && needsNftables)
            {
                throw new NotSupportedException($"Cuts by protocol or port, and rejecting cuts, need nftables; this topology cuts with the BPF fault filter because {NftablesUnavailable()}.");
            }
            return chosen;
        }
        var nftables = KernelFeatures.Nftables;
        var bpf = KernelFeatures.BpfClassifier;
        if (PreferredMechanism != CutMechanism.Bpf && nftables.IsAvailable)
        {
            return CutMechanism.Nftables;
        }
        if (PreferredMechanism == CutMechanism.Nftables)
        {
            throw new NotSupportedException(NftablesUnavailable());
        }
        if (needsNftables)
        {
            throw new NotSupportedException($"Cuts by protocol or port, and rejecting cuts, need nftables: {NftablesUnavailable()}");
        }
        if (bpf.IsAvailable)
        {
            return CutMechanism.Bpf;
        }
        throw new NotSupportedException($"Cutting hosts apart needs nftables or the BPF fault filter, and neither works here. nftables: {nftables.SkipReason ?? "not tried"}. BPF: {bpf.SkipReason}");

        string NftablesUnavailable() => KernelFeatures.Nftables.SkipReason ?? "nftables was not chosen";
    }

    // Runs under _lock: every host's firewall or filters as its cuts need them.
    private void ApplyCuts()
    {
        foreach (var host in topology.Hosts)
        {
            if (_mechanism == CutMechanism.Nftables || _firewalls.ContainsKey(host))
            {
                ApplyFirewall(host);
            }
            if (_mechanism == CutMechanism.Bpf || _cutMaps.ContainsKey(host))
            {
                foreach (var hostInterface in host.Interfaces)
                {
                    ReconcileFilter(HostDevice(hostInterface));
                }
                UpdateCutMap(host);
            }
        }
        if (logger?.IsEnabled(LogLevel.Information) == true)
        {
            logger.LogInformation("Cuts now ({Mechanism}): {Cuts}", _mechanism, _cuts.Count == 0 ? "none" : string.Join(", ", _cuts.Select(c => c.ToString())));
        }
    }

    // The BPF fault filter enforces whole drops arriving at this host.
    private bool HasCuts(NetHost host) => _mechanism == CutMechanism.Bpf && _cuts.Any(c => c.To == host.Name);

    private HashSet<IPAddress> CutSources(NetHost host)
    {
        var sources = new HashSet<IPAddress>();
        if (_mechanism != CutMechanism.Bpf)
        {
            return sources;
        }
        foreach (var cut in _cuts.Where(c => c.To == host.Name))
        {
            sources.UnionWith(AddressesOf(topology[cut.From]));
        }
        return sources;
    }

    private static IEnumerable<IPAddress> AddressesOf(NetHost host)
    {
        foreach (var hostInterface in host.Interfaces)
        {
            if (hostInterface.IPv4 is { } v4)
            {
                yield return v4.Address;
            }
            if (hostInterface.IPv6 is { } v6)
            {
                yield return v6.Address;
            }
        }
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

    private sealed class CutMap
    {
        public uint Id { get; set; }

        public int Users { get; set; }

        public HashSet<IPAddress> Installed { get; } = [];
    }
}
