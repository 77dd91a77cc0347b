using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>
/// A route in a namespace's routing table (one RTM_NEWROUTE of a route dump; <c>ip route show</c>
/// and <c>ip -6 route show</c> show the same). A snapshot. Multipath routes report their first hop only.
/// </summary>
public sealed record RouteInfo
{
    /// <summary>The main routing table, where routes go unless a table is named (RT_TABLE_MAIN).</summary>
    public const int MainTable = 254;

    /// <summary>The local table: the kernel's routes for the host's own and broadcast addresses (RT_TABLE_LOCAL).</summary>
    public const int LocalTable = 255;

    internal RouteInfo()
    {
    }

    /// <summary><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    public AddressFamily Family { get; init; }

    /// <summary>The destination network; prefix length 0 for the default route.</summary>
    public IPNetwork Destination { get; init; }

    /// <summary>True for the default route (0.0.0.0/0 or ::/0).</summary>
    public bool IsDefault => Destination.PrefixLength == 0;

    /// <summary>The next hop (RTA_GATEWAY); null for routes straight out of a device and for reject routes.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>The index of the output interface (RTA_OIF); null when the route has none (IPv4 reject routes).</summary>
    public int? OutputInterfaceIndex { get; init; }

    /// <summary>The name of the output interface; null when there is none.</summary>
    public string? OutputInterfaceName { get; init; }

    /// <summary>What the route does: deliver (<see cref="RouteType.Unicast"/>) or reject (<see cref="RouteType.Blackhole"/>, ...).</summary>
    public RouteType Type { get; init; }

    /// <summary>The routing table id: <see cref="MainTable"/>, <see cref="LocalTable"/> or a custom one.</summary>
    public int Table { get; init; }

    /// <summary>Who installed the route: the kernel (connected networks), iproute2 and this library ("boot"), a daemon.</summary>
    public RouteProtocol Protocol { get; init; }

    /// <summary>The scope of the destination: <see cref="NetworkScope.Link"/> for directly connected networks.</summary>
    public NetworkScope Scope { get; init; }

    /// <summary>The source address preferred for traffic using this route (RTA_PREFSRC); null when unset.</summary>
    public IPAddress? PreferredSource { get; init; }

    /// <summary>The route metric (RTA_PRIORITY); null when unset.</summary>
    public int? Metric { get; init; }
}

/// <summary>The type of a route (RTN_* in linux/rtnetlink.h).</summary>
public enum RouteType
{
    /// <summary>Unspecified.</summary>
    Unspecified = 0,

    /// <summary>A gateway or direct route: packets are forwarded.</summary>
    Unicast = 1,

    /// <summary>A local address: packets are delivered to this host.</summary>
    Local = 2,

    /// <summary>A broadcast address, delivered locally and sent as broadcast.</summary>
    Broadcast = 3,

    /// <summary>A local anycast address.</summary>
    Anycast = 4,

    /// <summary>A multicast route.</summary>
    Multicast = 5,

    /// <summary>Packets are dropped silently.</summary>
    Blackhole = 6,

    /// <summary>Packets are dropped and the sender gets EHOSTUNREACH (ICMP host unreachable).</summary>
    Unreachable = 7,

    /// <summary>Packets are dropped and the sender gets EACCES (ICMP administratively prohibited).</summary>
    Prohibit = 8,

    /// <summary>The lookup continues in the next routing table (policy routing).</summary>
    Throw = 9,

    /// <summary>Stateless network address translation (obsolete).</summary>
    Nat = 10,
}

/// <summary>Who installed a route (RTPROT_* in linux/rtnetlink.h); daemons use further values.</summary>
public enum RouteProtocol
{
    /// <summary>Unspecified.</summary>
    Unspecified = 0,

    /// <summary>Installed by an ICMP redirect.</summary>
    Redirect = 1,

    /// <summary>Installed by the kernel, e.g. the route to a directly connected network.</summary>
    Kernel = 2,

    /// <summary>Installed during boot or by hand: iproute2's default, and this library's.</summary>
    Boot = 3,

    /// <summary>Installed by the administrator as a static route.</summary>
    Static = 4,

    /// <summary>Installed from an IPv6 router advertisement.</summary>
    RouterAdvertisement = 9,

    /// <summary>Installed by a DHCP client.</summary>
    Dhcp = 16,
}
