using System.Net.Sockets;
using Isolated.Net.Faults;

namespace Isolated.Net;

// NAT routers: configuration that stays (Heal and ClearFaults keep it), in the router's one nftables
// table next to its cuts.
public sealed partial class Topology
{
    /// <summary>
    /// Makes <paramref name="router"/> a NAT gateway: traffic it sends out through its interface on
    /// <paramref name="outsideSegment"/> (IPv4 and IPv6) leaves with the router's address there as the
    /// source, as iptables' <c>-j MASQUERADE</c> does, and replies are translated back. Hosts outside
    /// thus need no route to the inside, and servers there see the router as the peer. This is
    /// configuration, not a fault: <see cref="Heal"/> and <see cref="ClearFaults"/> keep it; it lasts
    /// as long as the topology. Calling it again for the same interface changes nothing.
    /// </summary>
    /// <param name="router">A router's name (<see cref="TopologyBuilder.AddRouter"/>).</param>
    /// <param name="outsideSegment">The switch the router's outside interface is on, or the host at the other end of its outside link (or that link's name, e.g. "r&lt;-&gt;isp").</param>
    /// <example><code>
    /// net.Masquerade("gw", "wan");   // hosts behind gw reach wan's hosts as gw
    /// </code></example>
    /// <exception cref="KeyNotFoundException"><paramref name="router"/> is not a host of this topology.</exception>
    /// <exception cref="ArgumentException">The host is not a router, or it has no interface on <paramref name="outsideSegment"/>.</exception>
    /// <exception cref="NotSupportedException">nftables does not work here; the message says why.</exception>
    /// <exception cref="NetworkOperationException">The kernel refused the rules; the message names the table and router.</exception>
    public void Masquerade(string router, string outsideSegment)
    {
        ArgumentNullException.ThrowIfNull(outsideSegment);
        var gateway = RequireRouter(router, nameof(router));
        var outside = gateway.Interfaces.FirstOrDefault(i => i.SegmentName == outsideSegment)
            ?? gateway.Interfaces.FirstOrDefault(i => Links.Any(l => (l.First == i && l.Second.Host.Name == outsideSegment) || (l.Second == i && l.First.Host.Name == outsideSegment)))
            ?? throw new ArgumentException(
                $"Router '{gateway.Name}' has no interface on '{outsideSegment}'; its segments are {string.Join(", ", gateway.Interfaces.Select(i => $"'{i.SegmentName}' ({i.Name})"))}.",
                nameof(outsideSegment));
        Faults.Masquerade(outside);
    }

    /// <summary>
    /// Forwards <paramref name="port"/> of <paramref name="router"/> to <paramref name="innerPort"/> of
    /// <paramref name="innerHost"/>, as iptables' <c>-j DNAT</c> does: a connection or datagram to any
    /// of the router's addresses on that port (except those on the inner host's own segments) reaches
    /// the inner host, which sees the real client as the peer; answers go back through the router, so
    /// the inner host's route to the client must pass it. IPv4 and IPv6 alike where both have an
    /// address of the family. Configuration, not a fault: <see cref="Heal"/> and <see cref="ClearFaults"/>
    /// keep it. The same forward again changes nothing.
    /// </summary>
    /// <param name="router">A router's name.</param>
    /// <param name="port">The router's port, 1 to 65535.</param>
    /// <param name="innerHost">The host that serves it.</param>
    /// <param name="innerPort">The inner host's port, 1 to 65535.</param>
    /// <param name="protocol"><see cref="ProtocolType.Tcp"/> (default) or <see cref="ProtocolType.Udp"/>.</param>
    /// <example><code>
    /// net.ForwardPort("gw", 8080, "web", 80);   // outside hosts reach web:80 at gw:8080
    /// </code></example>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="ArgumentException">The router is not a router or is the inner host; the protocol is neither TCP nor UDP; the two share no address family.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A port is outside 1 to 65535.</exception>
    /// <exception cref="InvalidOperationException">That port of the router already forwards elsewhere.</exception>
    /// <exception cref="NotSupportedException">nftables does not work here; the message says why.</exception>
    /// <exception cref="NetworkOperationException">The kernel refused the rules; the message names the table and router.</exception>
    public void ForwardPort(string router, int port, string innerHost, int innerPort, ProtocolType protocol = ProtocolType.Tcp)
    {
        var gateway = RequireRouter(router, nameof(router));
        var inner = this[innerHost];
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(innerPort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(innerPort, 65535);
        if (protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
        {
            throw new ArgumentException($"A port forward is TCP or UDP; got {protocol}.", nameof(protocol));
        }
        if (inner == gateway)
        {
            throw new ArgumentException($"Router '{gateway.Name}' cannot forward a port to itself; name the host behind it.", nameof(innerHost));
        }
        bool shared = (gateway.PrimaryIPv4 is not null && inner.PrimaryIPv4 is not null) || (gateway.PrimaryIPv6 is not null && inner.PrimaryIPv6 is not null);
        if (!shared)
        {
            throw new ArgumentException($"Router '{gateway.Name}' and host '{inner.Name}' have no address family in common to forward with.", nameof(innerHost));
        }
        Faults.ForwardPort(new PortForward(gateway.Name, protocol, port, inner.Name, innerPort));
    }

    /// <summary>The NAT configured by <see cref="Masquerade"/> and <see cref="ForwardPort"/>, e.g. "gw masquerade oifname eth1" or "gw tcp 8080 -> web:80".</summary>
    public IReadOnlyList<string> ActiveNat => _faults is null ? [] : Faults.DescribeNat();

    private NetHost RequireRouter(string name, string parameter)
    {
        var host = this[name];
        return host.IsRouter ? host : throw new ArgumentException($"Host '{name}' is not a router (add it with TopologyBuilder.AddRouter): NAT needs forwarding.", parameter);
    }
}
