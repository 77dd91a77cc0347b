using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Diagnostics;

// The neighbour dump request byte for byte, and a hand-written RTM_NEWNEIGH reply parsed. ndmsg is
// {u8 family; u8 pad1; u16 pad2; s32 ifindex; u16 state; u8 flags; u8 type} (12 bytes).
public class NeighbourMessageTests
{
    [Fact]
    public void Getneigh_dump_of_every_family()
    {
        Assert.Equal(Show(Hex(
            "1c000000 1e00 0103 01000000 00000000", // len=28 RTM_GETNEIGH REQUEST|DUMP seq=1
            "00 00 0000 00000000 0000 00 00")),     // ndmsg AF_UNSPEC, everything zero
            Show(Encode(RouteRequest.DumpNeighbours())));
    }

    [Fact]
    public void Getneigh_dump_of_ipv6()
    {
        Assert.Equal(Show(Hex(
            "1c000000 1e00 0103 01000000 00000000",
            "0a 00 0000 00000000 0000 00 00")),
            Show(Encode(RouteRequest.DumpNeighbours(AddressFamily.InterNetworkV6))));
    }

    [Fact]
    public void Newneigh_reply_becomes_a_record()
    {
        var bytes = Hex(
            "30000000 1c00 0200 05000000 39300000", // len=48 RTM_NEWNEIGH MULTI
            "02 00 0000 02000000 0200 00 01",       // AF_INET ifindex=2 state=REACHABLE type=unicast
            "0800 0100 0a000002",                   // NDA_DST 10.0.0.2
            "0a00 0200 020000000002 0000");         // NDA_LLADDR 02:00:00:00:00:02 (+2 pad)
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        var neighbour = NeighbourMessageParser.Parse(message, new Dictionary<int, string> { [2] = "eth0" });
        Assert.NotNull(neighbour);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), neighbour.Address);
        Assert.Equal(PhysicalAddress.Parse("02-00-00-00-00-02"), neighbour.LinkLayerAddress);
        Assert.Equal("eth0", neighbour.InterfaceName);
        Assert.Equal(NeighbourState.Reachable, neighbour.State);
        Assert.Equal(AddressFamily.InterNetwork, neighbour.Family);
    }

    [Fact]
    public void Bridge_fdb_entries_are_not_neighbours()
    {
        var bytes = Hex(
            "28000000 1c00 0200 05000000 39300000",
            "07 00 0000 02000000 8000 02 00",       // AF_BRIDGE fdb entry
            "0a00 0200 020000000002 0000");
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        Assert.Null(NeighbourMessageParser.Parse(message, new Dictionary<int, string>()));
    }
}
