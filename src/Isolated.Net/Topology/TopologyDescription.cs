using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net;

// Describe(): what the kernel says now, per host, in the spirit of `ip -br addr` plus `ip route`.
// Read live (not from the plan) so a failing test sees faults, downed links and missing routes.
internal static class TopologyDescription
{
    public static string Describe(Topology topology)
    {
        var text = new StringBuilder();
        foreach (var sw in topology.Switches)
        {
            var subnets = $"{sw.IPv4Subnet?.ToString() ?? "-"} {sw.IPv6Subnet?.ToString() ?? ""}".TrimEnd();
            text.Append("switch ").Append(sw.Name).Append(": ").Append(subnets)
                .Append(", ports ").AppendJoin(", ", sw.Ports).AppendLine();
        }
        foreach (var link in topology.Links)
        {
            text.Append(CultureInfo.InvariantCulture, $"link {link.First} <-> {link.Second}").AppendLine();
        }
        foreach (var host in topology.Hosts)
        {
            AppendHost(text, host);
        }
        return text.ToString();
    }

    public static string DescribeHost(Host host)
    {
        var text = new StringBuilder();
        AppendHost(text, host);
        return text.ToString();
    }

    private static void AppendHost(StringBuilder text, Host host)
    {
        text.Append(CultureInfo.InvariantCulture, $"{(host.IsRouter ? "router" : "host")} {host.Name} (net:[{host.Namespace.Inode}])").AppendLine();
        IReadOnlyList<LinkInfo> links;
        IReadOnlyList<AddressInfo> addresses;
        IReadOnlyList<RouteInfo> routes;
        try
        {
            links = host.Namespace.GetLinks();
            addresses = host.Namespace.GetAddresses();
            routes = host.Namespace.GetRoutes();
        }
        catch (Exception ex) when (ex is NetworkOperationException or ObjectDisposedException)
        {
            text.Append("  (cannot read the namespace: ").Append(ex.Message).AppendLine(")");
            return;
        }
        int width = Math.Max(6, links.Count == 0 ? 0 : links.Max(l => l.Name.Length) + 2);
        foreach (var link in links)
        {
            var state = link.OperationalState == LinkOperationalState.Unknown ? (link.IsUp ? "UNKNOWN" : "DOWN") : link.OperationalState.ToString().ToUpperInvariant();
            var addrs = addresses.Where(a => a.InterfaceIndex == link.Index && a.Scope != NetworkScope.Link)
                .Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.Address}/{a.PrefixLength}"));
            var segment = host.Interfaces.FirstOrDefault(i => i.Name == link.Name)?.SegmentName;
            text.Append("  ").Append(link.Name.PadRight(width)).Append(state.PadRight(16)).Append(string.Join(' ', addrs));
            if (segment is not null)
            {
                text.Append("  [").Append(segment).Append(']');
            }
            text.AppendLine();
        }
        foreach (var route in routes.Where(r => r.Table == RouteInfo.MainTable).OrderBy(r => r.Family == AddressFamily.InterNetworkV6).ThenBy(r => r.Destination.PrefixLength))
        {
            if (route.Family == AddressFamily.InterNetworkV6 && route.Destination.BaseAddress.IsIPv6LinkLocal)
            {
                continue; // fe80::/64 on every interface: noise
            }
            text.Append("  route ");
            if (route.Type is not RouteType.Unicast and not RouteType.Unspecified)
            {
                text.Append(route.Type.ToString().ToLowerInvariant()).Append(' ');
            }
            text.Append(route.IsDefault ? "default" : route.Destination.ToString());
            if (route.Gateway is not null)
            {
                text.Append(" via ").Append(route.Gateway);
            }
            if (route.OutputInterfaceName is not null)
            {
                text.Append(" dev ").Append(route.OutputInterfaceName);
            }
            text.AppendLine();
        }
        if (!routes.Any(r => r.Table == RouteInfo.MainTable && r.IsDefault) && host.Interfaces.Count > 0)
        {
            text.AppendLine("  (no default route)");
        }
    }
}
