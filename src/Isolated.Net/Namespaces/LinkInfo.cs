using System.Net.NetworkInformation;

namespace Isolated.Net;

/// <summary>
/// A network interface inside a namespace, as the kernel reported it (one RTM_NEWLINK of a link
/// dump; <c>ip -d link show</c> shows the same). A snapshot: it does not follow later changes.
/// </summary>
public sealed record LinkInfo
{
    internal LinkInfo()
    {
    }

    /// <summary>The interface name, e.g. <c>veth0</c>.</summary>
    public string Name { get; init; } = "";

    /// <summary>The interface index; unique within its namespace only.</summary>
    public int Index { get; init; }

    /// <summary>
    /// The link kind the kernel reports (IFLA_INFO_KIND): <c>veth</c>, <c>bridge</c>, ...;
    /// <c>loopback</c> for lo; null for devices without one, such as physical NICs.
    /// </summary>
    public string? Kind { get; init; }

    /// <summary>True when the link is administratively up (IFF_UP).</summary>
    public bool IsUp { get; init; }

    /// <summary>True when the link has carrier (IFF_LOWER_UP): for a veth, when its peer is up too.</summary>
    public bool HasCarrier { get; init; }

    /// <summary>The RFC 2863 operational state (IFLA_OPERSTATE).</summary>
    public LinkOperationalState OperationalState { get; init; }

    /// <summary>The maximum transmission unit in bytes.</summary>
    public int Mtu { get; init; }

    /// <summary>The link-layer address (IFLA_ADDRESS); null when the link has none.</summary>
    public PhysicalAddress? MacAddress { get; init; }

    /// <summary>The index of the bridge (or other master) this link is a port of (IFLA_MASTER); null when none.</summary>
    public int? MasterIndex { get; init; }

    /// <summary>
    /// The index of the link this one is tied to (IFLA_LINK): for a veth, its peer's index, which is
    /// an index in the peer's namespace when the peer lives elsewhere. Null when none.
    /// </summary>
    public int? PeerIndex { get; init; }
}

/// <summary>The operational state of a link (RFC 2863, IF_OPER_* in linux/if.h).</summary>
public enum LinkOperationalState
{
    /// <summary>The driver does not report a state (lo, some virtual links).</summary>
    Unknown = 0,

    /// <summary>A component is missing.</summary>
    NotPresent = 1,

    /// <summary>Down.</summary>
    Down = 2,

    /// <summary>Down because a lower link is down: for a veth, the peer is down.</summary>
    LowerLayerDown = 3,

    /// <summary>In a test mode.</summary>
    Testing = 4,

    /// <summary>Waiting for an external event.</summary>
    Dormant = 5,

    /// <summary>Up and able to pass packets.</summary>
    Up = 6,
}
