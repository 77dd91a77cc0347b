using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>
/// An entry of a namespace's ARP or IPv6 neighbour table (one RTM_NEWNEIGH of a neighbour dump;
/// <c>ip neigh show</c> shows the same). A snapshot.
/// </summary>
public sealed record NeighbourInfo
{
    internal NeighbourInfo()
    {
    }

    /// <summary>The index of the interface the neighbour is reached through.</summary>
    public int InterfaceIndex { get; init; }

    /// <summary>The name of that interface; null if it vanished between the neighbour and link dumps.</summary>
    public string? InterfaceName { get; init; }

    /// <summary><see cref="AddressFamily.InterNetwork"/> (ARP) or <see cref="AddressFamily.InterNetworkV6"/> (NDP).</summary>
    public AddressFamily Family { get; init; }

    /// <summary>The neighbour's IP address.</summary>
    public IPAddress Address { get; init; } = IPAddress.None;

    /// <summary>The neighbour's MAC address; null while it is unresolved (INCOMPLETE or FAILED).</summary>
    public PhysicalAddress? LinkLayerAddress { get; init; }

    /// <summary>The entry's state (NUD_* flags), e.g. <see cref="NeighbourState.Reachable"/>.</summary>
    public NeighbourState State { get; init; }
}

/// <summary>The state of a neighbour table entry (the kernel's NUD_* flags, as <c>ip neigh</c> prints them).</summary>
[Flags]
public enum NeighbourState
{
    /// <summary>No state (NUD_NONE).</summary>
    None = 0,

    /// <summary>Resolution is under way (NUD_INCOMPLETE).</summary>
    Incomplete = 0x01,

    /// <summary>Confirmed reachable recently (NUD_REACHABLE).</summary>
    Reachable = 0x02,

    /// <summary>Known but unconfirmed (NUD_STALE).</summary>
    Stale = 0x04,

    /// <summary>Waiting before probing (NUD_DELAY).</summary>
    Delay = 0x08,

    /// <summary>Being probed (NUD_PROBE).</summary>
    Probe = 0x10,

    /// <summary>Resolution failed (NUD_FAILED).</summary>
    Failed = 0x20,

    /// <summary>No resolution needed, e.g. on loopback (NUD_NOARP).</summary>
    NoArp = 0x40,

    /// <summary>A static entry (NUD_PERMANENT).</summary>
    Permanent = 0x80,
}
