using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>
/// An IPv4 or IPv6 address assigned to an interface inside a namespace (one RTM_NEWADDR of an
/// address dump; <c>ip addr show</c> shows the same). A snapshot.
/// </summary>
public sealed record AddressInfo
{
    internal AddressInfo()
    {
    }

    /// <summary>The index of the interface the address is on.</summary>
    public int InterfaceIndex { get; init; }

    /// <summary>The name of that interface; null if it vanished between the address and link dumps.</summary>
    public string? InterfaceName { get; init; }

    /// <summary><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    public AddressFamily Family { get; init; }

    /// <summary>The local address (IFA_LOCAL, or IFA_ADDRESS where there is no IFA_LOCAL).</summary>
    public IPAddress Address { get; init; } = IPAddress.None;

    /// <summary>The prefix length of the on-link network, e.g. 24 for 10.0.0.1/24.</summary>
    public int PrefixLength { get; init; }

    /// <summary>The IPv4 broadcast address (IFA_BROADCAST); null when none was set, and for IPv6.</summary>
    public IPAddress? Broadcast { get; init; }

    /// <summary>The address scope: <see cref="NetworkScope.Global"/>, <see cref="NetworkScope.Link"/> for fe80::/10, <see cref="NetworkScope.Host"/> for loopback.</summary>
    public NetworkScope Scope { get; init; }

    /// <summary>True while IPv6 duplicate address detection runs: the address cannot be bound yet.</summary>
    public bool IsTentative { get; init; }

    /// <summary>True when duplicate address detection was skipped (IFA_F_NODAD), so the address was usable at once.</summary>
    public bool IsDadDisabled { get; init; }
}

/// <summary>The scope of an address or route (RT_SCOPE_* in linux/rtnetlink.h).</summary>
public enum NetworkScope
{
    /// <summary>Valid everywhere (RT_SCOPE_UNIVERSE; iproute2 says "global").</summary>
    Global = 0,

    /// <summary>Valid within a site (IPv6 site-local, deprecated).</summary>
    Site = 200,

    /// <summary>Valid on the attached link only (fe80::/10, routes to directly connected networks).</summary>
    Link = 253,

    /// <summary>Valid on this host only (loopback, local routes).</summary>
    Host = 254,

    /// <summary>A destination that does not exist (RT_SCOPE_NOWHERE).</summary>
    Nowhere = 255,
}
