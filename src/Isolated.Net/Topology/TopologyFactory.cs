using System.Diagnostics;
using System.Globalization;
using Isolated.Net.Namespaces;
using Isolated.Net.Netlink;
using Microsoft.Extensions.Logging;

namespace Isolated.Net;

// Turns a validated plan into namespaces, bridges, veths, addresses and routes. Interface indexes are
// chosen up front (lo is 1 in a fresh namespace, so a host's interfaces get 2, 3, …) so no request has
// to look a name up. If any step fails, everything made so far is released by disposing the
// namespaces: the kernel removes the links inside with them.
internal static class TopologyFactory
{
    // The hub's key among the namespaces: not a valid host name, so it cannot collide with one.
    private const string HubKey = "/hub";

    // Makes every namespace: on the calling thread, one after the other, as a C program would, where
    // that thread can come back to its own namespace (root); else (rootless) each on a namespace thread
    // of its own, all at once, then waits for each. If any fails, the others are still waited for and
    // released, and the first failure is thrown.
    private static Dictionary<string, NetworkNamespace> CreateNamespaces(TopologyPlan plan, bool needsHub, NamespacePool? pool)
    {
        var pending = new List<(string Key, NetworkNamespace.PendingNamespace Pending)>(plan.Hosts.Count + 1);
        var created = new Dictionary<string, NetworkNamespace>(StringComparer.Ordinal);
        Exception? failure = null;
        // One transit for the whole loop: a concurrent leak scan never sees this thread between namespaces.
        using var transit = NamespaceThread.Transit();
        try
        {
            foreach (var planned in plan.Hosts)
            {
                if (pool?.TryTake() is { } pooled)
                {
                    created.Add(planned.Name, pooled);
                    if (planned.IsRouter)
                    {
                        // Equivalent to: ip netns exec R sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
                        NamespaceSysctl.Write(pooled, "net/ipv4/ip_forward", "1");
                        NamespaceSysctl.Write(pooled, "net/ipv6/conf/all/forwarding", "1");
                    }
                    continue;
                }
                if (NetworkNamespace.TryCreateHere(NamespacePreparation.Host(planned.IsRouter)) is { } here)
                {
                    created.Add(planned.Name, here);
                    continue;
                }
                pending.Add((planned.Name, NetworkNamespace.BeginCreate(null, NamespacePreparation.Host(planned.IsRouter))));
            }
            if (needsHub)
            {
                if (pool?.TryTake() is { } pooled)
                {
                    created.Add(HubKey, pooled);
                }
                else if (NetworkNamespace.TryCreateHere(new NamespacePreparation(false, false, OpenNetlink: true)) is { } here)
                {
                    created.Add(HubKey, here);
                }
                else
                {
                    pending.Add((HubKey, NetworkNamespace.BeginCreate(null, new NamespacePreparation(false, false, OpenNetlink: true))));
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        foreach (var (key, start) in pending)
        {
            try
            {
                created.Add(key, start.Complete());
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }
        if (failure is not null)
        {
            foreach (var ns in created.Values)
            {
                ns.Dispose();
            }
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        return created;
    }

    public static Topology Build(TopologyPlan plan, ILogger? logger, Func<string, bool>? failAt, AddressPreference preference = AddressPreference.IPv4First, NamespacePool? pool = null)
    {
        var started = Stopwatch.GetTimestamp();
        var topology = new Topology(logger, preference);
        try
        {
            Step("namespaces");
            // Each namespace is prepared (sysctls, the rtnetlink socket) as it is made; its thread starts
            // on first use (see NetworkNamespace.TryCreateHere).
            bool needsHub = plan.Segments.Any(s => s.Kind == SegmentKind.Switch);
            var namespaces = CreateNamespaces(plan, needsHub, pool);
            foreach (var planned in plan.Hosts)
            {
                topology.AddHost(new NetHost(topology, planned.Name, planned.IsRouter, namespaces[planned.Name]));
            }
            NetworkNamespace? hub = null;
            if (needsHub)
            {
                hub = namespaces[HubKey];
                topology.SetHub(hub);
            }

            // Indexes are chosen, not looked up: a fresh namespace has only lo (1), so a host's
            // interfaces get 2, 3, … and the hub's bridges 2…S+1, its ports S+2, ….
            var indexes = plan.Hosts.ToDictionary(h => h.Name, h => h.Interfaces.Select((iface, i) => (iface.Name, Index: i + 2)).ToDictionary(p => p.Name, p => p.Index, StringComparer.Ordinal), StringComparer.Ordinal);
            var order = plan.Hosts.Select((h, i) => (h.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
            // One datagram per namespace, executed in plan order: the hub's first, then each host's. A
            // host's datagram creates the veth pairs it shares with later hosts (the peer born in the
            // other namespace), then brings its interfaces up, addresses them and adds its routes: by
            // then every interface it has exists, made by the hub, an earlier host, or itself.
            var hostRequests = plan.Hosts.ToDictionary(h => h.Name, _ => new List<RouteRequest>(), StringComparer.Ordinal);

            Step("switches");
            var hubRequests = new List<RouteRequest>();
            var bridgeIndexes = new Dictionary<string, int>(StringComparer.Ordinal);
            var switches = plan.Segments.Where(s => s.Kind == SegmentKind.Switch).ToList();
            foreach (var segment in switches)
            {
                int bridgeIndex = 2 + bridgeIndexes.Count;
                // Equivalent to: ip -n HUB link add NAME index I mtu M up type bridge
                hubRequests.Add(RouteRequest.CreateBridge(segment.Name, segment.Mtu, up: true, bridgeIndex));
                bridgeIndexes.Add(segment.Name, bridgeIndex);
                topology.AddSwitch(new NetSwitch(segment.Name, segment.IPv4, segment.IPv6));
            }

            Step("links");
            int hubIndex = 1 + switches.Count + 1;
            foreach (var segment in plan.Segments)
            {
                if (segment.Kind == SegmentKind.Switch)
                {
                    var sw = topology.GetSwitch(segment.Name);
                    foreach (var iface in segment.Interfaces)
                    {
                        int portIndex = hubIndex++;
                        var host = topology[iface.Host];
                        var portName = "p" + portIndex.ToString(CultureInfo.InvariantCulture);
                        TapForwarder? forwarder = null;
                        if (iface.Impairment is { } impairment)
                        {
                            // Two TAP devices, the host's and the switch port, joined by our forwarder.
                            // Equivalent to: ip -n HUB link set pN up
                            forwarder = TapForwarder.Create(host.Name + "<->" + segment.Name, impairment,
                                new TapEnd(host.Name, host.Namespace, iface.Name, indexes[iface.Host][iface.Name]),
                                new TapEnd(segment.Name, hub!, portName, portIndex),
                                segment.Mtu);
                            // Equivalent to: ip -n HUB link set pN up master SWITCH
                            hubRequests.Add(RouteRequest.SetLinkState(portIndex, up: true));
                            hubRequests.Add(RouteRequest.SetMaster(portIndex, bridgeIndexes[segment.Name], segment.Name));
                        }
                        else
                        {
                            // Equivalent to: ip -n HUB link add pN index N mtu M master SWITCH up type veth peer name IFACE index K mtu M netns HOST
                            hubRequests.Add(RouteRequest.CreateVethPair(
                                new VethEnd(portName, hub) { Index = portIndex, Mtu = segment.Mtu, Master = bridgeIndexes[segment.Name] },
                                new VethEnd(iface.Name, host.Namespace) { Index = indexes[iface.Host][iface.Name], Mtu = segment.Mtu },
                                up: true));
                        }
                        var hostInterface = new HostInterface(host, iface.Name, segment.Name, iface.IPv4, iface.IPv6, iface.Mtu) { ForwarderCore = forwarder?.Public };
                        host.AddInterface(hostInterface);
                        sw.AddPort(hostInterface);
                    }
                }
                else
                {
                    var (a, b) = (segment.Interfaces[0], segment.Interfaces[1]);
                    var (hostA, hostB) = (topology[a.Host], topology[b.Host]);
                    TapForwarder? forwarder = null;
                    if (segment.Impairment is { } impairment)
                    {
                        // Two TAP devices, each born in its host's namespace, joined by our forwarder.
                        forwarder = TapForwarder.Create(segment.Name, impairment,
                            new TapEnd(hostA.Name, hostA.Namespace, a.Name, indexes[a.Host][a.Name]),
                            new TapEnd(hostB.Name, hostB.Namespace, b.Name, indexes[b.Host][b.Name]),
                            segment.Mtu);
                    }
                    else
                    {
                        // Made by whichever end comes first in plan order, in its own datagram.
                        // Equivalent to: ip -n A link add IFA index I mtu M up type veth peer name IFB index J mtu M netns B
                        var (first, second) = order[a.Host] <= order[b.Host] ? (a, b) : (b, a);
                        var (firstHost, secondHost) = (topology[first.Host], topology[second.Host]);
                        hostRequests[first.Host].Add(RouteRequest.CreateVethPair(
                            new VethEnd(first.Name, firstHost.Namespace) { Index = indexes[first.Host][first.Name], Mtu = segment.Mtu },
                            new VethEnd(second.Name, secondHost.Namespace) { Index = indexes[second.Host][second.Name], Mtu = segment.Mtu },
                            up: true));
                    }
                    var endA = new HostInterface(hostA, a.Name, segment.Name, a.IPv4, a.IPv6, a.Mtu) { ForwarderCore = forwarder?.Public };
                    var endB = new HostInterface(hostB, b.Name, segment.Name, b.IPv4, b.IPv6, b.Mtu) { ForwarderCore = forwarder?.Public };
                    hostA.AddInterface(endA);
                    hostB.AddInterface(endB);
                    topology.AddLink(new Link(segment.Name, endA, endB) { ForwarderCore = forwarder?.Public });
                }
            }
            if (hubRequests.Count > 0)
            {
                hub!.Netlink.Execute([.. hubRequests]);
            }
            // Host interfaces were added segment by segment; restore connection order per host.
            foreach (var planned in plan.Hosts)
            {
                topology[planned.Name].SortInterfaces(planned.Interfaces.Select(i => i.Name).ToList());
            }

            Step("addresses");
            foreach (var planned in plan.Hosts)
            {
                var requests = hostRequests[planned.Name];
                foreach (var iface in planned.Interfaces)
                {
                    int index = indexes[planned.Name][iface.Name];
                    // Equivalent to: ip link set IFACE up; ip addr add A/P brd + dev IFACE; ip addr add A6/P dev IFACE nodad
                    requests.Add(RouteRequest.SetLinkState(index, up: true));
                    if (iface.IPv4 is { } v4)
                    {
                        requests.Add(RouteRequest.AddAddress(index, v4.Address, v4.PrefixLength));
                    }
                    if (iface.IPv6 is { } v6)
                    {
                        requests.Add(RouteRequest.AddAddress(index, v6.Address, v6.PrefixLength));
                    }
                }
            }

            // Forwarding on routers was switched on by the namespace thread on its way in.
            Step("sysctls");

            Step("routes");
            foreach (var planned in plan.Hosts)
            {
                var requests = hostRequests[planned.Name];
                foreach (var route in planned.Routes)
                {
                    // Equivalent to: ip route add DEST via GW dev IFACE
                    requests.Add(RouteRequest.AddRoute(RouteSpec.Via(route.Destination, route.Gateway, indexes[planned.Name][route.InterfaceName])));
                }
                if (requests.Count > 0)
                {
                    namespaces[planned.Name].Netlink.Execute([.. requests]);
                }
            }
            Step("done");

            if (logger?.IsEnabled(LogLevel.Debug) == true)
            {
                logger.LogDebug("Built topology of {HostCount} hosts, {SwitchCount} switches and {LinkCount} links in {Elapsed:F2} ms",
                    plan.Hosts.Count, topology.Switches.Count, topology.Links.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            return topology;
        }
        catch (Exception ex)
        {
            if (logger?.IsEnabled(LogLevel.Warning) == true)
            {
                logger.LogWarning(ex, "Building the topology failed; releasing what was made");
            }
            topology.Dispose();
            throw;
        }

        void Step(string name)
        {
            if (failAt?.Invoke(name) == true)
            {
                throw new InvalidOperationException($"Injected failure at build step '{name}'.");
            }
        }
    }
}
