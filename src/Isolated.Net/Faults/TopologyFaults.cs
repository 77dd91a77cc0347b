using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using Microsoft.Extensions.Logging;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Faults;

// Everything fault injection changes in one topology, and how to undo it. One lock serializes the
// changes. What is applied is kept here as desired state, and each change is made as the difference
// from what is installed, so clearing a fault returns the kernel to what the topology built:
//  - partitions: a set of cut host pairs; every host with a cut gets the fault filter on the ingress
//    of each of its interfaces, with one cut map per host (the sources it must not hear);
//  - impairments: per direction, bandwidth and netem as the sending end's root qdisc, loss in the
//    receiving end's fault filter;
//  - link down: what the kernel forgets when an interface goes down (IPv6 addresses, routes through
//    it), so that up restores it.
// BPF maps and programs are held by the filters, not by us: after attaching, our fds are closed, and
// maps are reopened by id to be changed. Disposing the topology thus leaves nothing to release.
internal sealed class TopologyFaults(Topology topology, ILogger? logger)
{
    private const ushort FilterPriority = 1;
    private const int EthernetHeader = 14;
    private static readonly TimeSpan CarrierTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly HashSet<(string, string)> _cuts = [];
    private readonly Dictionary<HostInterface, FaultDevice> _hostDevices = [];
    private readonly Dictionary<HostInterface, FaultDevice> _hubPorts = [];
    private readonly Dictionary<NetHost, CutMap> _cutMaps = [];
    private readonly Dictionary<HostInterface, DownSnapshot> _down = [];

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

    /// <summary>Impairs the traffic leaving (outbound) or arriving at (inbound) a host interface.</summary>
    public void Impair(HostInterface hostInterface, bool outbound, KernelImpairment impairment)
    {
        ArgumentNullException.ThrowIfNull(impairment);
        impairment.Validate();
        if (impairment.NeedsNetem && KernelFeatures.Netem.SkipReason is { } netemMissing)
        {
            throw new NotSupportedException($"{impairment} on {hostInterface} needs the netem qdisc, and {netemMissing}. Bandwidth and loss work without it.");
        }
        if (impairment.BandwidthBitsPerSecond is not null)
        {
            RequireFeature(KernelFeatures.TokenBucket);
        }
        if (impairment.LossPercent > 0)
        {
            RequireFeature(KernelFeatures.BpfClassifier);
        }
        lock (_lock)
        {
            var (sender, receiver) = outbound
                ? (HostDevice(hostInterface), PeerDevice(hostInterface))
                : (PeerDevice(hostInterface), HostDevice(hostInterface));
            sender.Leaving = impairment;
            receiver.Arriving = impairment;
            receiver.WrittenLoss = (-1, 0); // applying again restarts the packet count
            ReconcileQdisc(sender);
            ReconcileFilter(receiver);
            if (receiver.Host is { } host)
            {
                UpdateCutMap(host);
            }
            if (logger?.IsEnabled(LogLevel.Information) == true)
            {
                logger.LogInformation("Impaired {Direction} traffic of {Interface}: {Impairment}", outbound ? "outbound" : "inbound", hostInterface, impairment);
            }
        }
    }

    public KernelImpairment GetImpairment(HostInterface hostInterface, bool outbound)
    {
        lock (_lock)
        {
            return _hostDevices.TryGetValue(hostInterface, out var device)
                ? (outbound ? device.Leaving : device.Arriving)
                : KernelImpairment.None;
        }
    }

    // Equivalent to: ip link set dev IFACE down (remembering what the kernel will forget)
    public void SetDown(IEnumerable<HostInterface> interfaces)
    {
        lock (_lock)
        {
            foreach (var hostInterface in interfaces)
            {
                if (_down.ContainsKey(hostInterface))
                {
                    continue;
                }
                var device = HostDevice(hostInterface);
                var netlink = device.Namespace.Netlink;
                var addresses = netlink.GetAddresses()
                    .Where(a => a.InterfaceIndex == device.Index && !a.Address.IsIPv6LinkLocal)
                    .ToList();
                var routes = netlink.GetRoutes(AddressFamily.Unspecified, table: 0)
                    .Where(r => r.OutputInterfaceIndex == device.Index && r.Protocol != RouteProtocol.Kernel
                        && r.Type == RouteType.Unicast && r.Table != RouteInfo.LocalTable)
                    .ToList();
                netlink.SetLinkDown(device.Index);
                _down.Add(hostInterface, new DownSnapshot(addresses, routes));
                if (logger?.IsEnabled(LogLevel.Information) == true)
                {
                    logger.LogInformation("Set {Interface} down", hostInterface);
                }
            }
        }
    }

    // Equivalent to: ip link set dev IFACE up; then ip addr add / ip route add for what went with "down"
    // Every end comes up before any is restored: a gateway is only accepted on a link that is up.
    public void SetUp(IEnumerable<HostInterface> interfaces)
    {
        lock (_lock)
        {
            var list = interfaces.ToList();
            foreach (var hostInterface in list)
            {
                var device = HostDevice(hostInterface);
                device.Namespace.Netlink.SetLinkUp(device.Index);
            }
            foreach (var hostInterface in list)
            {
                if (!_down.ContainsKey(PeerInterface(hostInterface) ?? hostInterface))
                {
                    WaitForCarrier(HostDevice(hostInterface));
                }
            }
            foreach (var hostInterface in list)
            {
                if (_down.Remove(hostInterface, out var snapshot))
                {
                    Restore(HostDevice(hostInterface), snapshot);
                    if (logger?.IsEnabled(LogLevel.Information) == true)
                    {
                        logger.LogInformation("Set {Interface} up", hostInterface);
                    }
                }
            }
        }
    }

    public bool IsDown(HostInterface hostInterface)
    {
        lock (_lock)
        {
            return _down.ContainsKey(hostInterface);
        }
    }

    // The kernel turns carrier on (and swaps the noop qdisc for the real one) from its link-watch
    // work, up to a second after "up"; packets sent before that are dropped. So "up" returns once the
    // interface is operationally up, and the link is usable at once.
    private static void WaitForCarrier(FaultDevice device)
    {
        var deadline = DateTime.UtcNow + CarrierTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (device.Namespace.Netlink.GetLinks().FirstOrDefault(l => l.Index == device.Index) is { OperationalState: LinkOperationalState.Up })
            {
                return;
            }
            Thread.Sleep(10);
        }
    }

    private HostInterface? PeerInterface(HostInterface hostInterface) =>
        topology.Links.FirstOrDefault(l => l.First == hostInterface || l.Second == hostInterface) is { } link
            ? (link.First == hostInterface ? link.Second : link.First)
            : null;

    /// <summary>Heals, clears every impairment and brings every interface set down back up.</summary>
    public void ClearAll()
    {
        lock (_lock)
        {
            Heal();
            foreach (var hostInterface in _hostDevices.Keys.ToList())
            {
                foreach (bool outbound in new[] { true, false })
                {
                    if (!GetImpairment(hostInterface, outbound).IsNone)
                    {
                        Impair(hostInterface, outbound, KernelImpairment.None);
                    }
                }
            }
            SetUp(_down.Keys.ToList());
        }
    }

    /// <summary>The cut-map key of an address: IPv6 as is, IPv4 as ::ffff:a.b.c.d (what the filter builds).</summary>
    internal static byte[] CutKey(IPAddress address) =>
        (address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address).GetAddressBytes();

    private static void RequireFeature(KernelFeature feature)
    {
        if (feature.SkipReason is { } reason)
        {
            throw new NotSupportedException(reason);
        }
    }

    private static (string, string) PairKey(string first, string second) =>
        string.CompareOrdinal(first, second) <= 0 ? (first, second) : (second, first);

    private static void Restore(FaultDevice device, DownSnapshot snapshot)
    {
        var netlink = device.Namespace.Netlink;
        var present = netlink.GetAddresses().Where(a => a.InterfaceIndex == device.Index).ToList();
        var addresses = snapshot.Addresses
            .Where(a => !present.Any(p => p.Address.Equals(a.Address) && p.PrefixLength == a.PrefixLength))
            .Select(a => RouteRequest.AddAddress(device.Index, a.Address, a.PrefixLength))
            .ToArray();
        if (addresses.Length > 0)
        {
            netlink.Execute(addresses);
        }
        var routes = netlink.GetRoutes(AddressFamily.Unspecified, table: 0);
        var missing = snapshot.Routes
            .Where(r => !routes.Any(p => p.Destination.Equals(r.Destination) && Equals(p.Gateway, r.Gateway) && p.Table == r.Table
                && p.Metric == r.Metric && p.OutputInterfaceIndex == r.OutputInterfaceIndex))
            .Select(r => RouteRequest.AddRoute(new RouteSpec(r.Destination)
            {
                Gateway = r.Gateway,
                OutputInterfaceIndex = device.Index,
                Table = r.Table,
                Metric = r.Metric,
            }))
            .ToArray();
        if (missing.Length > 0)
        {
            netlink.Execute(missing);
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

    private void ReconcileFilter(FaultDevice device)
    {
        bool wanted = (device.Host is { } host && HasCuts(host)) || device.Arriving.LossPercent > 0;
        if (wanted && !device.FilterAttached)
        {
            AttachFilter(device);
        }
        else if (!wanted && device.FilterAttached)
        {
            DetachFilter(device);
        }
        if (device.FilterAttached)
        {
            WriteLoss(device);
        }
    }

    // Equivalent to: tc qdisc add dev IFACE clsact; tc filter add dev IFACE ingress pref 1 handle 1 bpf da fd PROGRAM
    private void AttachFilter(FaultDevice device)
    {
        CutMap? cutMap = device.Host is { } host ? CutMapOf(host) : null;
        BpfObjectHandle? cut = null;
        try
        {
            if (cutMap is not null)
            {
                cut = cutMap.Users > 0
                    ? OpenMap(cutMap.Id, FaultFilterProgram.CutMapName)
                    : BpfSyscalls.CreateMap(BPF_MAP_TYPE_HASH, FaultFilterProgram.CutKeySize, FaultFilterProgram.CutValueSize, FaultFilterProgram.CutMapEntries, FaultFilterProgram.CutMapName);
            }
            using var loss = BpfSyscalls.CreateMap(BPF_MAP_TYPE_ARRAY, sizeof(uint), FaultFilterProgram.LossValueSize, 1, FaultFilterProgram.LossMapName);
            using var program = BpfSyscalls.LoadClassifier(FaultFilterProgram.Build(cut?.Fd, loss.Fd), FaultFilterProgram.ProgramName, FaultFilterProgram.License);
            var netlink = device.Namespace.Netlink;
            bool ours = true;
            try
            {
                netlink.Execute(RouteRequest.AddClsact(device.Index));
            }
            catch (NameInUseException)
            {
                ours = false; // someone's clsact: share it, remove only our filter later
            }
            try
            {
                netlink.Execute(RouteRequest.AddBpfFilter(device.Index, ingress: true, FilterPriority, program, FaultFilterProgram.ProgramName));
            }
            catch when (ours)
            {
                netlink.Execute(RouteRequest.DeleteClsact(device.Index));
                throw;
            }
            device.FilterAttached = true;
            device.ClsactIsOurs = ours;
            device.LossMapId = BpfSyscalls.MapInfo(loss).Id;
            device.WrittenLoss = (0, 0); // a fresh array map reads as zeros: no loss
            if (cutMap is not null)
            {
                if (cutMap.Users == 0)
                {
                    cutMap.Id = BpfSyscalls.MapInfo(cut!).Id;
                    cutMap.Installed.Clear();
                }
                cutMap.Users++;
            }
        }
        finally
        {
            cut?.Dispose();
        }
    }

    // Equivalent to: tc qdisc del dev IFACE clsact (or, on a clsact we found, tc filter del dev IFACE ingress pref 1)
    private void DetachFilter(FaultDevice device)
    {
        var netlink = device.Namespace.Netlink;
        netlink.Execute(device.ClsactIsOurs
            ? RouteRequest.DeleteClsact(device.Index)
            : RouteRequest.DeleteFilter(device.Index, ingress: true, FilterPriority));
        device.FilterAttached = false;
        device.LossMapId = 0;
        if (device.Host is { } host && CutMapOf(host) is { } cutMap && --cutMap.Users == 0)
        {
            cutMap.Id = 0; // the last program holding it is gone, and the map with it
            cutMap.Installed.Clear();
        }
    }

    // Equivalent to: bpftool map update id LOSSMAP key 0 value {counter 0, seed, threshold}
    private void WriteLoss(FaultDevice device)
    {
        var wanted = device.Arriving.LossPercent > 0 ? (device.Arriving.LossPercent, device.Arriving.Seed) : (0, 0);
        if (wanted == device.WrittenLoss)
        {
            return;
        }
        using var map = OpenMap(device.LossMapId, FaultFilterProgram.LossMapName);
        Span<byte> value = stackalloc byte[FaultFilterProgram.LossValueSize];
        value.Clear();
        BitConverter.TryWriteBytes(value[8..], LossPattern.SeedValue(wanted.Item2));
        BitConverter.TryWriteBytes(value[16..], LossPattern.Threshold(wanted.Item1));
        BpfSyscalls.UpdateElement(map, stackalloc byte[4], value, $"the loss settings of {device}");
        device.WrittenLoss = wanted;
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

    // Equivalent to: tc qdisc del dev IFACE root; tc qdisc add dev IFACE root handle 1: tbf ...; tc qdisc add dev IFACE parent 1:1 handle 10: netem ...
    private void ReconcileQdisc(FaultDevice device)
    {
        var wanted = device.Leaving with { LossPercent = 0 };
        if (!wanted.NeedsNetem)
        {
            wanted = wanted with { Seed = 0 };
        }
        KernelImpairment? target = wanted.IsNone ? null : wanted;
        if (Equals(target, device.InstalledQdisc))
        {
            return;
        }
        var netlink = device.Namespace.Netlink;
        if (device.InstalledQdisc is not null)
        {
            netlink.Execute(RouteRequest.DeleteRootQdisc(device.Index));
            device.InstalledQdisc = null;
        }
        if (target is null)
        {
            return;
        }
        var requests = new List<RouteRequest>();
        if (target.BandwidthBitsPerSecond is long rate)
        {
            var (burst, limit) = TokenBucketSizes(rate, MtuOf(device));
            requests.Add(RouteRequest.AddTokenBucket(device.Index, rate, burst, limit));
        }
        if (target.NeedsNetem)
        {
            requests.Add(RouteRequest.AddNetem(device.Index, underTokenBucket: target.BandwidthBitsPerSecond is not null, new NetemSettings
            {
                Latency = target.Latency,
                Jitter = target.Jitter,
                DuplicatePercent = target.DuplicatePercent,
                ReorderPercent = target.ReorderPercent,
                Seed = LossPattern.SeedValue(target.Seed),
            }));
        }
        try
        {
            netlink.Execute([.. requests]);
        }
        catch when (requests.Count > 1)
        {
            try
            {
                netlink.Execute(RouteRequest.DeleteRootQdisc(device.Index)); // do not leave half of it
            }
            catch (NetworkOperationException)
            {
                // The first qdisc did not get in either.
            }
            throw;
        }
        device.InstalledQdisc = target;
    }

    // The bucket holds 10 ms of traffic but at least two full frames (a smaller one stalls on every
    // large packet). The queue holds 200 ms more, but at least three 64 KiB GSO packets: tbf cuts a
    // GSO packet into frames and drops those that do not fit, and with the usual "latency 400ms"
    // sizing (50 KB at 1 Mbit/s) TCP loses so much that it gets only 70-80% of the rate on a veth.
    internal static (int Burst, int Limit) TokenBucketSizes(long bitsPerSecond, int mtu)
    {
        long bytesPerSecond = bitsPerSecond / 8;
        long burst = Math.Max(2L * (mtu + EthernetHeader), bytesPerSecond / 100);
        long limit = burst + Math.Max(bytesPerSecond / 5, 3 * 64 * 1024);
        return ((int)Math.Min(burst, int.MaxValue / 2), (int)Math.Min(limit, int.MaxValue));
    }

    private int MtuOf(FaultDevice device) =>
        _hostDevices.Concat(_hubPorts).First(p => ReferenceEquals(p.Value, device)).Key.Mtu;

    private CutMap CutMapOf(NetHost host)
    {
        if (!_cutMaps.TryGetValue(host, out var cutMap))
        {
            cutMap = new CutMap();
            _cutMaps.Add(host, cutMap);
        }
        return cutMap;
    }

    private FaultDevice HostDevice(HostInterface hostInterface)
    {
        if (!_hostDevices.TryGetValue(hostInterface, out var device))
        {
            var ns = hostInterface.Host.Namespace;
            device = new FaultDevice(ns, ns.Netlink.GetLinkIndex(hostInterface.Name), hostInterface.ToString(), hostInterface.Host);
            _hostDevices.Add(hostInterface, device);
        }
        return device;
    }

    // The other end of the veth: the peer host's interface on a link, the hub's port on a switch.
    private FaultDevice PeerDevice(HostInterface hostInterface)
    {
        var link = topology.Links.FirstOrDefault(l => l.First == hostInterface || l.Second == hostInterface);
        if (link is not null)
        {
            return HostDevice(link.First == hostInterface ? link.Second : link.First);
        }
        if (!_hubPorts.TryGetValue(hostInterface, out var port))
        {
            var hub = topology.Hub ?? throw new InvalidOperationException($"{hostInterface} is on neither a link nor a switch.");
            var own = hostInterface.Host.Namespace.Netlink.GetLinks().First(l => l.Name == hostInterface.Name);
            int index = own.PeerIndex ?? throw new InvalidOperationException($"{hostInterface} has no veth peer.");
            port = new FaultDevice(hub, index, string.Create(CultureInfo.InvariantCulture, $"switch '{hostInterface.SegmentName}' port #{index} of {hostInterface}"), host: null);
            _hubPorts.Add(hostInterface, port);
        }
        return port;
    }

    private sealed class CutMap
    {
        public uint Id { get; set; }

        public int Users { get; set; }

        public HashSet<IPAddress> Installed { get; } = [];
    }

    private sealed record DownSnapshot(List<AddressInfo> Addresses, List<RouteInfo> Routes);
}
