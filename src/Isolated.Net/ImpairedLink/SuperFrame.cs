using System.Buffers.Binary;

namespace Isolated.Net;

// What a frame read from a TAP with IFF_VNET_HDR says about itself. Each frame starts with a struct
// virtio_net_hdr (linux/virtio_net.h, little-endian on a TAP by default):
//   u8 flags; u8 gso_type; u16 hdr_len; u16 gso_size; u16 csum_start; u16 csum_offset;
// A super-frame (gso_type != 0) is one TCP stream's packets glued together: one set of headers, then
// up to 64 KiB of payload the receiver's stack will see as gso_size-byte segments. It crosses the link
// whole; what the wire would carry is its segments, each with the headers repeated.
internal static class SuperFrame
{
    public const int HeaderSize = 10;             // sizeof(struct virtio_net_hdr)
    private const byte GsoNone = 0;
    private const byte GsoEcn = 0x80;
    private const byte FlagNeedsChecksum = 0x01;

    // Wire bytes (the Ethernet frames of every segment) and segment count of the frame in FRAME,
    // which starts with its virtio_net_hdr.
    public static (int WireBytes, int Segments) Measure(ReadOnlySpan<byte> frame)
    {
        int ethernetLength = frame.Length - HeaderSize;
        if (ethernetLength <= 0 || (frame[1] & ~GsoEcn) == GsoNone)
        {
            return (Math.Max(ethernetLength, 0), 1);
        }
        int segmentSize = BinaryPrimitives.ReadUInt16LittleEndian(frame[4..]);
        int headers = HeaderLength(frame);
        int payload = ethernetLength - headers;
        if (segmentSize == 0 || headers <= 0 || payload <= segmentSize)
        {
            return (ethernetLength, 1);
        }
        int segments = (payload + segmentSize - 1) / segmentSize;
        return (ethernetLength + ((segments - 1) * headers), segments);
    }

    // The headers repeated in each segment: up to the transport checksum's start, plus the TCP header
    // (its data offset) or a UDP header. hdr_len is no help: a TAP fills it with the skb's linear
    // length, which can run past the headers.
    private static int HeaderLength(ReadOnlySpan<byte> frame)
    {
        if ((frame[0] & FlagNeedsChecksum) == 0)
        {
            return -1;
        }
        int transportStart = BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]);
        int checksumOffset = BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]);
        if (checksumOffset == 6)
        {
            return transportStart + 8; // UDP: the checksum is at byte 6 of its 8-byte header
        }
        int dataOffset = HeaderSize + transportStart + 12;
        return dataOffset < frame.Length ? transportStart + ((frame[dataOffset] >> 4) * 4) : -1;
    }
}
