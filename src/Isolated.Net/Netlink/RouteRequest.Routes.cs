using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Route requests (ip route add/del/show).
internal sealed partial class RouteRequest
{
    // Equivalent to: ip route add [TYPE] PREFIX [via GATEWAY] [dev IFINDEX] [table T] [metric M]
    public static RouteRequest AddRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route.Validate();
        return new($"adding route {route}", (writer, sequence) => EncodeRoute(writer, RTM_NEWROUTE, CreateFlags, sequence, route));
    }

    // Equivalent to: ip route del [TYPE] PREFIX [via GATEWAY] [dev IFINDEX] [table T] [metric M]
    public static RouteRequest RemoveRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route.Validate();
        return new($"removing route {route}", (writer, sequence) => EncodeRoute(writer, RTM_DELROUTE, ChangeFlags, sequence, route));
    }

    // Equivalent to: ip [-4|-6] route show table TABLE (table 0: every table, as "table all")
    public static RouteRequest DumpRoutes(AddressFamily family, int table = RouteInfo.MainTable)
    {
        byte familyByte = FamilyByte(family, allowUnspecified: false);
        ArgumentOutOfRangeException.ThrowIfNegative(table);
        return new("listing routes", (writer, sequence) =>
        {
            // With NETLINK_GET_STRICT_CHK the kernel filters by rtm_table (or RTA_TABLE above 255).
            var message = writer.BeginMessage(RTM_GETROUTE, DumpFlags, sequence, new rtmsg
            {
                rtm_family = familyByte,
                rtm_table = table < 256 ? (byte)table : RT_TABLE_UNSPEC,
            });
            if (table >= 256)
            {
                message.AddAttribute(RTA_TABLE, (uint)table);
            }
        }, isDump: true);
    }

    // Additions follow iproute2: protocol boot, scope link for a route with no gateway; deletions
    // match loosely (protocol unspec, scope nowhere, type unspec for unicast), so the kernel removes
    // the route whoever installed it.
    private static void EncodeRoute(NetlinkMessageWriter writer, ushort type, ushort flags, uint sequence, RouteSpec route)
    {
        bool add = type == RTM_NEWROUTE;
        int oif = route.OutputInterfaceIndex;
        if (oif == 0 && route.Gateway is { IsIPv6LinkLocal: true, ScopeId: > 0 and <= int.MaxValue } gateway)
        {
            oif = (int)gateway.ScopeId; // fe80::1%3 names its interface
        }
        var header = new rtmsg
        {
            rtm_family = route.Family == AddressFamily.InterNetwork ? AF_INET : AF_INET6,
            rtm_dst_len = (byte)route.Destination.PrefixLength,
            rtm_table = route.Table < 256 ? (byte)route.Table : RT_TABLE_UNSPEC,
            rtm_protocol = add ? RTPROT_BOOT : RTPROT_UNSPEC,
            rtm_scope = !add ? RT_SCOPE_NOWHERE
                : route.Type == RouteType.Unicast && route.Gateway is null ? RT_SCOPE_LINK
                : RT_SCOPE_UNIVERSE,
            rtm_type = !add && route.Type == RouteType.Unicast ? RTN_UNSPEC : (byte)route.Type,
        };
        var message = writer.BeginMessage(type, flags, sequence, header);
        if (route.Destination.PrefixLength > 0)
        {
            message.AddAddress(RTA_DST, route.Destination.BaseAddress);
        }
        if (route.Gateway is { } via)
        {
            message.AddAddress(RTA_GATEWAY, via);
        }
        if (oif != 0)
        {
            message.AddAttribute(RTA_OIF, (uint)oif);
        }
        if (route.Metric is int metric)
        {
            message.AddAttribute(RTA_PRIORITY, (uint)metric);
        }
        if (route.Table >= 256)
        {
            message.AddAttribute(RTA_TABLE, (uint)route.Table);
        }
    }
}
