using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>What a cut does with the packets it stops.</summary>
public enum CutMode
{
    /// <summary>Discards them silently: connections time out, TCP retransmits, UDP vanishes (a pulled cable, a black hole).</summary>
    Drop = 0,

    /// <summary>
    /// Answers them at once: a TCP segment gets a reset (connect fails with ConnectionRefused, an open
    /// connection with ConnectionReset), anything else an ICMP port unreachable (a firewall's REJECT).
    /// Needs nftables.
    /// </summary>
    Reject = 1,
}

/// <summary>
/// How <see cref="Topology.Cut(string, string, CutOptions?)"/> cuts: both ways or one way, all traffic or
/// one protocol and port, dropped or rejected. The default cuts everything, both ways, silently.
/// </summary>
public sealed record CutOptions
{
    /// <summary>Both ways, all traffic, dropped: what <see cref="Topology.Partition"/> and <see cref="Topology.Isolate(string)"/> do.</summary>
    public static CutOptions Default { get; } = new();

    /// <summary>
    /// True to cut only packets from the first side to the second; the other way still delivers
    /// (a one-way partition: the second side hears nothing, while what it sends still arrives).
    /// </summary>
    public bool OneWay { get; init; }

    /// <summary>Only this protocol (TCP, UDP, ICMP or ICMPv6); null for every protocol.</summary>
    public ProtocolType? Protocol { get; init; }

    /// <summary>Only packets to this destination port on the receiving side (TCP or UDP); null for every port.</summary>
    public int? Port { get; init; }

    /// <summary>Drop (default) or reject.</summary>
    public CutMode Mode { get; init; }

    /// <summary>True when the cut stops all traffic, not one protocol or port.</summary>
    public bool IsWhole => Protocol is null && Port is null;

    /// <summary>Throws when the options contradict each other, before anything is changed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The protocol is not TCP, UDP, ICMP or ICMPv6; the port is outside 1–65535; the mode is unknown.</exception>
    /// <exception cref="ArgumentException">A port is given without TCP or UDP.</exception>
    public void Validate()
    {
        if (Protocol is not (null or ProtocolType.Tcp or ProtocolType.Udp or ProtocolType.Icmp or ProtocolType.IcmpV6))
        {
            throw new ArgumentOutOfRangeException(nameof(Protocol), Protocol, "A cut filters TCP, UDP, ICMP or ICMPv6 (or, with null, everything).");
        }
        if (Port is { } port)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, nameof(Port));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535, nameof(Port));
            if (Protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
            {
                throw new ArgumentException($"A cut of port {port} needs Protocol = Tcp or Udp; ports belong to a protocol.", nameof(Port));
            }
        }
        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Drop or Reject.");
        }
    }
}
