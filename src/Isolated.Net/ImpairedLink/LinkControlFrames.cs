using System.Buffers.Binary;

namespace Isolated.Net;

// Recognises the frames a link needs to work at all — ARP, IGMP, and the ICMPv6 of neighbour and
// router discovery and MLD — so they can be spared random impairment. Background chatter of that kind
// starts on its own timers (IPv6 router solicitations, MLD reports), so drawing random numbers for it
// would make a test's decisions depend on timing instead of on its traffic.
internal static class LinkControlFrames
{
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeArp = 0x0806;
    private const ushort EtherTypeVlan = 0x8100;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const byte ProtocolIgmp = 2;
    private const byte NextHeaderHopByHop = 0;
    private const byte NextHeaderIcmpv6 = 58;

    public static bool IsLinkControl(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return false;
        }
        int offset = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        if (etherType == EtherTypeVlan && frame.Length >= 18)
        {
            offset += 4;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
        }
        var payload = frame[(offset + 2)..];
        return etherType switch
        {
            EtherTypeArp => true,
            EtherTypeIPv4 => payload.Length >= 20 && payload[9] == ProtocolIgmp,
            EtherTypeIPv6 => IsNeighbourDiscoveryOrMld(payload),
            _ => false,
        };
    }

    private static bool IsNeighbourDiscoveryOrMld(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 40)
        {
            return false;
        }
        byte next = packet[6];
        int offset = 40;
        // MLD reports carry a hop-by-hop options header (router alert) before the ICMPv6 message.
        if (next == NextHeaderHopByHop && packet.Length >= offset + 8)
        {
            next = packet[offset];
            offset += (packet[offset + 1] + 1) * 8;
        }
        if (next != NextHeaderIcmpv6 || packet.Length <= offset)
        {
            return false;
        }
        // 130–132 MLDv1, 133–137 router/neighbour discovery and redirect, 143 MLDv2 report.
        return packet[offset] is >= 130 and <= 137 or 143;
    }
}
