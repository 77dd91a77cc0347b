using System.Buffers.Binary;
using Xunit;

namespace Isolated.Net.Tests.ImpairedLinks;

// How the forwarder counts a frame read with its virtio_net_hdr: golden bytes, no privilege.
public sealed class SuperFrameTests
{
    private const int Ethernet = 14, IPv4 = 20, Tcp = 32;

    [Fact]
    public void A_plain_frame_is_one_packet_of_its_Ethernet_length()
    {
        var frame = Frame(gsoType: 0, segmentSize: 0, payload: 100);
        Assert.Equal((Ethernet + IPv4 + Tcp + 100, 1), SuperFrame.Measure(frame));
    }

    [Fact]
    public void A_TCP_super_frame_counts_its_segments_with_the_headers_repeated()
    {
        // 10 000 bytes of payload in 1448-byte segments: 6 full and one of 1312.
        var frame = Frame(gsoType: 1, segmentSize: 1448, payload: 10_000);
        int headers = Ethernet + IPv4 + Tcp;
        Assert.Equal((headers + 10_000 + (6 * headers), 7), SuperFrame.Measure(frame));
    }

    [Fact]
    public void An_ECN_flagged_super_frame_is_a_super_frame_too_and_one_segment_is_one_packet()
    {
        int headers = Ethernet + IPv4 + Tcp;
        Assert.Equal((headers + 2896 + headers, 2), SuperFrame.Measure(Frame(gsoType: 0x81, segmentSize: 1448, payload: 2896)));
        Assert.Equal((headers + 1000, 1), SuperFrame.Measure(Frame(gsoType: 1, segmentSize: 1448, payload: 1000)));
    }

    [Fact]
    public void The_rate_limiter_counts_a_super_frame_as_its_segments_against_the_queue_limit()
    {
        var settings = ImpairmentModelTests.Settings(i => { i.RateBitsPerSecond = 1_000_000; i.QueueLimit = 10; });
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(1).AtoB);
        Assert.Equal(FrameVerdict.Deliver, model.Decide(settings, 20_000, false, 0, segments: 9).Verdict);
        Assert.Equal(9, model.QueueLength);
        Assert.Equal(FrameVerdict.Deliver, model.Decide(settings, 1500, false, 0).Verdict);
        Assert.Equal(FrameVerdict.QueueFull, model.Decide(settings, 1500, false, 0).Verdict); // 10 queued: full
    }

    // virtio_net_hdr, then Ethernet + IPv4 + TCP (32-byte header: data offset 8) + payload, as a TAP
    // with offloads hands out a frame needing its checksum.
    private static byte[] Frame(byte gsoType, ushort segmentSize, int payload)
    {
        var frame = new byte[SuperFrame.HeaderSize + Ethernet + IPv4 + Tcp + payload];
        frame[0] = 1; // VIRTIO_NET_HDR_F_NEEDS_CSUM
        frame[1] = gsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(2), 1000); // hdr_len: the linear length, not the headers
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(4), segmentSize);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(6), Ethernet + IPv4); // csum_start
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(8), 16);              // csum_offset: TCP
        frame[SuperFrame.HeaderSize + 12] = 0x08; // EtherType IPv4
        frame[SuperFrame.HeaderSize + Ethernet] = 0x45;
        frame[SuperFrame.HeaderSize + Ethernet + IPv4 + 12] = 8 << 4;
        return frame;
    }
}
