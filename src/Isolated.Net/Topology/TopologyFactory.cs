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
    public static Topology Build(TopologyPlan plan, ILogger? logger, Func<string, bool>? failAt, AddressPreference preference = AddressPreference.IPv4First)
    {
        var started = Stopwatch.GetTimestamp();
        var topology = new Topology(logger, preference);
        try
        {
            Step("namespaces");
            var namespaces = new Dictionary<string, NetworkNamespace>(StringComparer.Ordinal);
            foreach (var planned in plan.Hosts)
            {
                var ns = NetworkNamespace.Create();
                namespaces.Add(planned.Name, ns);
                topology.AddHost(new NetHost(topology, planned.Name, planned.IsRouter, ns));
                PrepareHost(ns);
            }
            NetworkNamespace? hub = null;
            if (plan.Segments.Any(s => s.Kind == SegmentKind.Switch))
            {
                hub = NetworkNamespace.Create();
                topology.SetHub(hub);
            }

            var indexes = plan.Hosts.ToDictionary(h => h.Name, h => h.Interfaces.Select((iface, i) => (iface.Name, Index: i + 2)).ToDictionary(p => p.Name, p => p.Index, StringComparer.Ordinal), StringComparer.Ordinal);

            Step("switches");
            var bridgeIndexes = new Dictionary<string, int>(StringComparer.Ordinal);
            var switches = plan.Segments.Where(s => s.Kind == SegmentKind.Switch).ToList();
            if (hub is not null)
            {
                // Equivalent to: ip -n HUB link add NAME mtu M up type bridge   (all switches in one datagram)
                hub.Netlink.Execute([.. switches.Select(s => RouteRequest.CreateBridge(s.Name, s.Mtu, up: true))]);
                foreach (var segment in switches)
                {
                    bridgeIndexes.Add(segment.Name, hub.Netlink.GetLinkIndex(segment.Name));
                    topology.AddSwitch(new NetSwitch(segment.Name, segment.IPv4, segment.IPv6));
                }
            }

            Step("links");
            var hubRequests = new List<RouteRequest>();
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
                            hubRequests.Add(RouteRequest.SetLinkState(portIndex, up: true));
                        }
                        else
                        {
                            // Equivalent to: ip -n HUB link add pN index N mtu M up type veth peer name IFACE index K mtu M netns HOST
                            hubRequests.Add(RouteRequest.CreateVethPair(
                                new VethEnd(portName, hub) { Index = portIndex, Mtu = segment.Mtu },
                                new VethEnd(iface.Name, host.Namespace) { Index = indexes[iface.Host][iface.Name], Mtu = segment.Mtu },
                                up: true));
                        }
                        // Equivalent to: ip -n HUB link set pN master SWITCH
                        hubRequests.Add(RouteRequest.SetMaster(portIndex, bridgeIndexes[segment.Name], segment.Name));
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
                        // Equivalent to: ip -n A link add IFA index I mtu M up type veth peer name IFB index J mtu M netns B
                        hostA.Namespace.Netlink.Execute(RouteRequest.CreateVethPair(
                            new VethEnd(a.Name, hostA.Namespace) { Index = indexes[a.Host][a.Name], Mtu = segment.Mtu },
                            new VethEnd(b.Name, hostB.Namespace) { Index = indexes[b.Host][b.Name], Mtu = segment.Mtu },
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
            // Per host, one datagram: every interface up (a veth end created from elsewhere is born
            // down), then its addresses, then its routes (a gateway must be on an up, addressed link).
            var hostRequests = plan.Hosts.ToDictionary(h => h.Name, _ => new List<RouteRequest>(), StringComparer.Ordinal);
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

            Step("sysctls");
            foreach (var planned in plan.Hosts.Where(h => h.IsRouter))
            {
                // Equivalent to: ip netns exec R sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
                var ns = namespaces[planned.Name];
                NamespaceSysctl.Write(ns, "net/ipv4/ip_forward", "1");
                NamespaceSysctl.Write(ns, "net/ipv6/conf/all/forwarding", "1");
            }

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

        // In one hop to the namespace thread: no duplicate address detection (a tentative link-local
        // address delays neighbour discovery through routers by seconds; every address here is unique
        // by construction), and the netlink socket the build uses, opened where it belongs.
        // Equivalent to: sysctl -w net.ipv6.conf.{all,default}.accept_dad=0
        static void PrepareHost(NetworkNamespace ns) => ns.Run(() =>
        {
            NamespaceSysctl.Write(ns, "net/ipv6/conf/all/accept_dad", "0");
            NamespaceSysctl.Write(ns, "net/ipv6/conf/default/accept_dad", "0");
            _ = ns.Netlink;
        });

        void Step(string name)
        {
            if (failAt?.Invoke(name) == true)
            {
                throw new InvalidOperationException($"Injected failure at build step '{name}'.");
            }
        }
    }
}
