using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

// Routes: static routes checked against the plan, and default routes through routers.
internal sealed partial class TopologyPlan
{
    private static void PlanRoute(StaticRouteSpec route, Dictionary<string, PlannedHost> hosts,
        Dictionary<string, (SegmentSpec Spec, PlannedSegment Plan)> segments, List<string> problems)
    {
        if (!hosts.TryGetValue(route.Host, out var host))
        {
            problems.Add($"route {route.Destination} via {route.Via} names unknown host '{route.Host}'");
            return;
        }
        var destinations = new List<IPNetwork>();
        if (route.Destination is "default")
        {
            destinations.Add(new IPNetwork(IPAddress.Any, 0));
            if (host.Interfaces.Any(i => i.IPv6 is not null))
            {
                destinations.Add(new IPNetwork(IPAddress.IPv6Any, 0));
            }
        }
        else if (TryParseNetwork(route.Destination, out var destination))
        {
            destinations.Add(destination);
        }
        else
        {
            problems.Add($"route on host '{host.Name}' has destination '{route.Destination}', which is not 'default' or a prefix with its host bits zero (such as 10.0.2.0/24)");
            return;
        }

        foreach (var destination in destinations)
        {
            var family = destination.BaseAddress.AddressFamily;
            PlannedInterface? outgoing = null;
            IPAddress? gateway = null;
            if (IPAddress.TryParse(route.Via, out var viaAddress))
            {
                if (viaAddress.AddressFamily != family)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via {viaAddress}, an address of the other family");
                    continue;
                }
                outgoing = host.Interfaces.FirstOrDefault(i => (family == AddressFamily.InterNetwork ? i.IPv4 : i.IPv6)?.Network.Contains(viaAddress) == true);
                gateway = viaAddress;
                if (outgoing is null)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via {viaAddress}, which is on none of its subnets");
                    continue;
                }
            }
            else if (hosts.TryGetValue(route.Via, out var neighbour))
            {
                foreach (var mine in host.Interfaces)
                {
                    var theirs = neighbour.Interfaces.FirstOrDefault(i => i.Segment == mine.Segment);
                    var address = theirs is null ? null : family == AddressFamily.InterNetwork ? theirs.IPv4 : theirs.IPv6;
                    if (address is not null)
                    {
                        outgoing = mine;
                        gateway = address.Value.Address;
                        break;
                    }
                }
                if (outgoing is null)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via host '{neighbour.Name}', which shares no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} segment with it");
                    continue;
                }
            }
            else
            {
                problems.Add($"route {destination} on host '{host.Name}' goes via '{route.Via}', which is neither a host nor an IP address");
                continue;
            }
            if (host.Routes.Any(r => r.Destination.Equals(destination)))
            {
                problems.Add($"host '{host.Name}' has two routes to {destination}");
                continue;
            }
            host.Routes.Add(new PlannedRoute(destination, gateway!, outgoing.Name));
        }
    }

    // A default route is added only where it is unambiguous: the host sees exactly one router, on
    // exactly one of its segments. Otherwise the user adds routes with AddRoute.
    private static void PlanDefaultRoutes(PlannedHost host, Dictionary<string, PlannedHost> hosts,
        Dictionary<string, (SegmentSpec Spec, PlannedSegment Plan)> segments)
    {
        var routers = host.Interfaces
            .SelectMany(mine => segments[mine.Segment].Plan.Interfaces
                .Where(other => other.Host != host.Name)
                .Select(other => (Mine: mine, Router: other)))
            .Where(pair => hosts[pair.Router.Host].IsRouter)
            .ToList();
        if (routers.Count != 1)
        {
            return;
        }
        var (mineIf, router) = routers[0];
        if (router.IPv4 is { } v4 && mineIf.IPv4 is not null && !host.Routes.Any(r => r.Destination.PrefixLength == 0 && r.Destination.BaseAddress.AddressFamily == AddressFamily.InterNetwork))
        {
            host.Routes.Add(new PlannedRoute(new IPNetwork(IPAddress.Any, 0), v4.Address, mineIf.Name));
        }
        if (router.IPv6 is { } v6 && mineIf.IPv6 is not null && !host.Routes.Any(r => r.Destination.PrefixLength == 0 && r.Destination.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6))
        {
            host.Routes.Add(new PlannedRoute(new IPNetwork(IPAddress.IPv6Any, 0), v6.Address, mineIf.Name));
        }
    }
}
