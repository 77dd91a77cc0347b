using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net.Faults;

// One direction of one cut: packets from host From to host To (of a protocol and port, or all) are
// dropped or rejected on arrival at To. A two-way cut is two rules.
internal sealed record CutRule(string From, string To, CutMode Mode, ProtocolType? Protocol, int? Port)
{
    public bool IsWhole => Protocol is null && Port is null;

    public override string ToString()
    {
        var text = new StringBuilder().Append(From).Append(" -> ").Append(To);
        if (Protocol is { } protocol)
        {
            text.Append(' ').Append(protocol switch
            {
                ProtocolType.Tcp => "tcp",
                ProtocolType.Udp => "udp",
                ProtocolType.Icmp => "icmp",
                ProtocolType.IcmpV6 => "icmpv6",
                _ => ((int)protocol).ToString(CultureInfo.InvariantCulture),
            });
        }
        if (Port is { } port)
        {
            text.Append(" dport ").Append(port.ToString(CultureInfo.InvariantCulture));
        }
        return text.Append(Mode == CutMode.Reject ? " reject" : " drop").ToString();
    }
}

// An exception to cuts: packets from From to To (of a protocol and destination port, or all) pass, and
// so do To's answers from that port; only nftables can make it.
internal sealed record AllowRule(string From, string To, ProtocolType? Protocol, int? Port)
{
    public override string ToString()
    {
        var cut = new CutRule(From, To, CutMode.Drop, Protocol, Port).ToString();
        return cut[..^" drop".Length] + " allow";
    }
}

// How cuts are made in the kernel, chosen once per topology at the first cut.
internal enum CutMechanism
{
    // One inet table per host with an input chain: the kernel's firewall, root or rootless, any cut.
    Nftables,

    // The fault filter's cut map on each host's ingress: whole two-way or one-way drops only.
    Bpf,
}
