using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Interop.Interop;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Netlink;

public class NetlinkCodecTests
{
    [Fact]
    public unsafe void Wire_structs_have_the_kernel_sizes()
    {
        Assert.Equal(16, sizeof(nlmsghdr));
        Assert.Equal(20, sizeof(nlmsgerr));
        Assert.Equal(4, sizeof(rtattr));
        Assert.Equal(12, sizeof(sockaddr_nl));
        Assert.Equal(16, sizeof(ifinfomsg));
        Assert.Equal(8, sizeof(ifaddrmsg));
        Assert.Equal(12, sizeof(rtmsg));
        Assert.Equal(20, sizeof(tcmsg));
    }

    [Fact]
    public void A_leaf_excludes_its_padding_a_nest_includes_its_childrens()
    {
        using var writer = new NetlinkMessageWriter();
        var message = writer.BeginMessage(RTM_NEWLINK, NLM_F_REQUEST, 9, new ifinfomsg());
        var nest = message.AddAttribute(IFLA_LINKINFO);
        nest.AddAttribute(1, [0xAA]);              // 5 bytes + 3 pad
        nest.AddAttribute(2, [0xBB, 0xCC]);        // 6 bytes + 2 pad: the nest's last child
        message.AddAttribute(IFLA_MTU, 1500u);     // closes the nest
        Assert.Equal(Show(Hex(
            "3c000000 1000 0100 09000000 00000000", // nlmsg_len 60 = 16 + 16 + 20 + 8
            "00 00 0000 00000000 00000000 00000000",
            "1400 1200",                             // nest len 20 = 4 + 8 + 8
            "0500 0100 aa000000",
            "0600 0200 bbcc0000",
            "0800 0400 dc050000")), Show(writer.WrittenSpan));
    }

    [Fact]
    public void Adding_through_a_closed_attribute_is_refused()
    {
        using var writer = new NetlinkMessageWriter();
        var message = writer.BeginMessage(RTM_NEWLINK, NLM_F_REQUEST, 1, new ifinfomsg());
        var inner = message.AddAttribute(IFLA_LINKINFO);
        message.AddAttribute(IFLA_MTU, 1u);
        Assert.Throws<InvalidOperationException>(() => inner.AddAttribute(1, [1]));
    }

    [Fact]
    public void Payload_then_children_as_veth_peer()
    {
        using var writer = new NetlinkMessageWriter();
        var message = writer.BeginMessage(RTM_NEWLINK, NLM_F_REQUEST, 1, new ifinfomsg());
        var peer = message.AddAttribute(VETH_INFO_PEER, new ifinfomsg { ifi_index = 7 });
        peer.AddString(IFLA_IFNAME, "b0");
        var reader = new NetlinkMessageReader(writer.WrittenSpan);
        Assert.True(reader.TryRead(out var parsed));
        var attributes = parsed.Attributes<ifinfomsg>();
        Assert.True(attributes.TryRead(out var peerAttribute));
        Assert.Equal(VETH_INFO_PEER, peerAttribute.Type);
        Assert.Equal(4 + 16 + 8, peerAttribute.Payload.Length + 4);
        var children = peerAttribute.Nested(skip: 16);
        Assert.True(children.TryRead(out var name));
        Assert.Equal("b0", name.AsString());
        Assert.False(children.TryRead(out _));
    }

    // Random attribute trees, seeded so a failure reproduces: whatever the writer nests, the reader
    // gives back the same types, payloads and structure.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(2024)]
    public void Random_attribute_trees_round_trip(int seed)
    {
        var random = new Random(seed);
        for (int round = 0; round < 50; round++)
        {
            var trees = Enumerable.Range(0, random.Next(1, 4)).Select(_ => Enumerable.Range(0, random.Next(0, 6)).Select(_ => Node.Random(random, depth: 0)).ToList()).ToList();
            using var writer = new NetlinkMessageWriter(initialCapacity: 16); // forces growth
            for (int m = 0; m < trees.Count; m++)
            {
                var message = writer.BeginMessage((ushort)(100 + m), NLM_F_REQUEST, (uint)m, new rtmsg { rtm_family = (byte)m });
                foreach (var node in trees[m])
                {
                    node.WriteTo(message);
                }
            }
            var reader = new NetlinkMessageReader(writer.WrittenSpan);
            for (int m = 0; m < trees.Count; m++)
            {
                Assert.True(reader.TryRead(out var message));
                Assert.Equal(100 + m, message.Type);
                Assert.Equal((uint)m, message.Sequence);
                Assert.Equal((byte)m, message.ReadHeader<rtmsg>().rtm_family);
                Assert.Equal(message.Payload.Length + 16, (int)message.Header.nlmsg_len);
                Node.AssertMatches(trees[m], message.Attributes<rtmsg>());
            }
            Assert.False(reader.TryRead(out _));
        }
    }

    [Fact]
    public void Malformed_lengths_are_reported_not_read_past()
    {
        var truncated = Hex("40000000 1000 0000 01000000 00000000"); // claims 64 bytes, has 16
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new NetlinkMessageReader(truncated);
            reader.TryRead(out _);
        });
        var badAttribute = Hex("0900 0100 aaaa"); // claims 9 bytes, has 6
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new NetlinkAttributeReader(badAttribute);
            reader.TryRead(out _);
        });
    }

    private sealed record Node(ushort Type, byte[] Payload, List<Node> Children)
    {
        public static Node Random(Random random, int depth)
        {
            var payload = new byte[random.Next(0, 21)];
            random.NextBytes(payload);
            var children = depth < 4 && random.Next(3) == 0
                ? Enumerable.Range(0, random.Next(0, 5)).Select(_ => Random(random, depth + 1)).ToList()
                : [];
            return new Node((ushort)random.Next(1, 0x3fff), payload, children);
        }

        public void WriteTo(NetlinkAttributeWriter parent)
        {
            var self = parent.AddAttribute(Type, Payload);
            foreach (var child in Children)
            {
                child.WriteTo(self);
            }
        }

        public static void AssertMatches(List<Node> expected, NetlinkAttributeReader actual)
        {
            foreach (var node in expected)
            {
                Assert.True(actual.TryRead(out var attribute));
                Assert.Equal(node.Type, attribute.Type);
                if (node.Children.Count == 0)
                {
                    Assert.Equal(Show(node.Payload), Show(attribute.Payload)); // exact length: padding not counted
                }
                else
                {
                    Assert.Equal(Show(node.Payload), Show(attribute.Payload[..node.Payload.Length]));
                    AssertMatches(node.Children, attribute.Nested(skip: node.Payload.Length));
                }
            }
            Assert.False(actual.TryRead(out _));
        }
    }
}
