using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net;

// The per-namespace part of failure output, read live from the kernel: links with their addresses,
// main-table routes, neighbours, then TCP/UDP sockets. NetworkNamespace.Describe and NetHost.Describe
// (through TopologyDescription) both print it, so a fresh namespace and a topology host read alike.
internal static class NamespaceDump
{
    public static void Append(StringBuilder text, NetworkNamespace ns, Func<string, string?>? segmentOf = null, bool expectDefaultRoute = false)
    {
        IReadOnlyList<LinkInfo> links;
        IReadOnlyList<AddressInfo> addresses;
        IReadOnlyList<RouteInfo> routes;
        IReadOnlyList<NeighbourInfo> neighbours;
        IReadOnlyList<SocketInfo> sockets;
        try
        {
            links = ns.GetLinks();
            addresses = ns.GetAddresses();
            routes = ns.GetRoutes();
            neighbours = ns.GetNeighbours();
            sockets = ns.GetSockets();
        }
        catch (Exception ex) when (ex is NetworkOperationException or ObjectDisposedException or IOException)
        {
            text.Append("  (cannot read the namespace: ").Append(ex.Message).AppendLine(")");
            return;
        }
        AppendLinks(text, links, addresses, segmentOf);
        AppendRoutes(text, routes, expectDefaultRoute);
        foreach (var neighbour in neighbours.Where(n => n.State != NeighbourState.NoArp))
        {
            text.Append("  neigh ").Append(neighbour.Address).Append(" dev ").Append(neighbour.InterfaceName ?? "#" + neighbour.InterfaceIndex.ToString(CultureInfo.InvariantCulture));
            if (neighbour.LinkLayerAddress is { } mac)
            {
                text.Append(" lladdr ").AppendJoin(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
            text.Append(' ').AppendLine(neighbour.State.ToString().ToUpperInvariant().Replace(", ", ",", StringComparison.Ordinal));
        }
        foreach (var socket in sockets.OrderBy(s => s.Protocol).ThenBy(s => !s.IsListening))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  {(socket.Protocol == SocketProtocol.Tcp ? "tcp" : "udp")} {socket.State,-10} {Show(socket.Local)} {(socket.Remote.Port == 0 ? "*" : Show(socket.Remote))}").AppendLine();
        }
        if (sockets.Count == 0)
        {
            text.AppendLine("  (no TCP or UDP sockets)");
        }
    }

    private static void AppendLinks(StringBuilder text, IReadOnlyList<LinkInfo> links, IReadOnlyList<AddressInfo> addresses, Func<string, string?>? segmentOf)
    {
        foreach (var link in links)
        {
            string state = !link.IsUp ? "DOWN"
                : link.OperationalState is LinkOperationalState.Up or LinkOperationalState.Unknown ? "UP"
                : "UP (" + link.OperationalState.ToString().ToUpperInvariant() + ")";
            text.Append(CultureInfo.InvariantCulture, $"  {link.Name} {state} mtu {link.Mtu}");
            foreach (var address in addresses.Where(a => a.InterfaceIndex == link.Index && a.Scope != NetworkScope.Link))
            {
                text.Append(CultureInfo.InvariantCulture, $" {address.Address}/{address.PrefixLength}");
            }
            if (segmentOf?.Invoke(link.Name) is { } segment)
            {
                text.Append("  [").Append(segment).Append(']');
            }
            text.AppendLine();
        }
    }

    private static void AppendRoutes(StringBuilder text, IReadOnlyList<RouteInfo> routes, bool expectDefaultRoute)
    {
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
        if (expectDefaultRoute && !routes.Any(r => r.Table == RouteInfo.MainTable && r.IsDefault))
        {
            text.AppendLine("  (no default route)");
        }
    }

    private static string Show(System.Net.IPEndPoint endPoint) => endPoint.Address.AddressFamily == AddressFamily.InterNetworkV6
        ? string.Create(CultureInfo.InvariantCulture, $"[{endPoint.Address}]:{endPoint.Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{endPoint.Address}:{endPoint.Port}");
}
