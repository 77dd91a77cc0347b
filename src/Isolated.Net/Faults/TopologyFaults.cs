using System.Globalization;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.Faults;

// Everything fault injection changes in one topology, and how to undo it. One lock serializes the
// changes. What is applied is kept here as desired state, and each change is made as the difference
// from what is installed, so clearing a fault returns the kernel to what the topology built:
//  - cuts (partitions, isolation, one-way and per-port cuts): a set of directional rules, each enforced
//    where its packets arrive: with nftables, one table per host whose input chain drops or rejects
//    them; without, the fault filter on each interface's ingress with a cut map of the sources it must
//    not hear (whole drops only);
//  - impairments: per direction, bandwidth and netem as the sending end's root qdisc, loss in the
//    receiving end's fault filter;
//  - link down: what the kernel forgets when an interface goes down (IPv6 addresses, routes through
//    it), so that up restores it.
// BPF maps and programs are held by the filters, not by us: after attaching, our fds are closed, and
// maps are reopened by id to be changed. Disposing the topology thus leaves nothing to release.
internal sealed partial class TopologyFaults(Topology topology, ILogger? logger)
{
    private readonly Lock _lock = new();
    private readonly HashSet<CutRule> _cuts = [];
    private readonly HashSet<string> _isolated = new(StringComparer.Ordinal);
    private readonly HashSet<AllowRule> _allows = [];
    private readonly Dictionary<NetHost, string> _firewalls = [];
    private CutMechanism? _mechanism;
    private readonly Dictionary<HostInterface, FaultDevice> _hostDevices = [];
    private readonly Dictionary<HostInterface, FaultDevice> _hubPorts = [];
    private readonly Dictionary<NetHost, CutMap> _cutMaps = [];
    private readonly Dictionary<HostInterface, DownSnapshot> _down = [];

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

    private static void RequireFeature(KernelFeature feature)
    {
        if (feature.SkipReason is { } reason)
        {
            throw new NotSupportedException(reason);
        }
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
}
