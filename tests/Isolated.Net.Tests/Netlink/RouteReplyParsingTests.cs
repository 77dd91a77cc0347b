using System.Net;
using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Interop.Interop;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Netlink;

// Kernel replies written by hand from the UAPI layouts: acknowledgements with and without extended
// acks, and the messages our queries turn into records.
public class RouteReplyParsingTests
{
    [Fact]
    public void Error_with_extended_ack_capped()
    {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS: nlmsgerr {error=-17; the request's nlmsghdr}, then
        // NLMSGERR_ATTR_MSG "Device exists" and NLMSGERR_ATTR_OFFS.
        var bytes = Hex(
            "40000000 0200 0003 05000000 39300000",
            "efffffff",                             // -EEXIST
            "80000000 1000 0506 05000000 00000000", // our request's header
            "1200 0100 44657669636520657869737473 00 0000", // "Device exists\0" (len 18, +2 pad)
            "0800 0200 24000000");                  // offset 36
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        Assert.Equal((EEXIST, "Device exists"), RouteNetlinkSocket.ReadStatus(message));
    }

    [Fact]
    public void Error_uncapped_skips_the_echoed_request()
    {
        var bytes = Hex(
            "38000000 0200 0002 05000000 39300000", // flags ACK_TLVS only
            "edffffff",                             // -ENODEV (19)
            "18000000 1300 0500 05000000 00000000", // echoed request: 24 bytes
            "aabbccdd eeff0011",                    //   its payload
            "0c00 0100 6e6f207375636800");          // "no such\0" (len 12)
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        Assert.Equal((ENODEV, "no such"), RouteNetlinkSocket.ReadStatus(message));
    }

    [Fact]
    public void Ack_and_done()
    {
        var ack = Hex("24000000 0200 0001 05000000 39300000", "00000000", "20000000 1300 0500 05000000 00000000");
        var reader = new NetlinkMessageReader(ack);
        Assert.True(reader.TryRead(out var message));
        Assert.Equal((0, (string?)null), RouteNetlinkSocket.ReadStatus(message));

        var done = Hex("14000000 0300 0200 06000000 39300000", "00000000");
        reader = new NetlinkMessageReader(done);
        Assert.True(reader.TryRead(out message));
        Assert.Equal((0, (string?)null), RouteNetlinkSocket.ReadStatus(message));
    }

    [Fact]
    public void Link_message_parses_into_link_info()
    {
        var bytes = Hex(
            "64000000 1000 0200 06000000 39300000",  // RTM_NEWLINK, NLM_F_MULTI
            "00 00 0100 03000000 43100100 00000000",  // ARPHRD_ETHER index=3 flags=UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
            "0800 0300 76613000",                     // IFLA_IFNAME "va0"
            "0800 0400 78050000",                     // IFLA_MTU 1400
            "0a00 0100 020000000001 0000",            // IFLA_ADDRESS
            "0800 0a00 05000000",                     // IFLA_MASTER 5
            "0800 0500 02000000",                     // IFLA_LINK 2
            "0500 1000 06 000000",                    // IFLA_OPERSTATE IF_OPER_UP
            "1000 1200",                              // IFLA_LINKINFO
            "0900 0100 7665746800 000000");           //   IFLA_INFO_KIND "veth\0"
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        var link = RouteMessageParser.ParseLink(message);
        Assert.Equal("va0", link.Name);
        Assert.Equal(3, link.Index);
        Assert.Equal("veth", link.Kind);
        Assert.True(link.IsUp);
        Assert.True(link.HasCarrier);
        Assert.Equal(LinkOperationalState.Up, link.OperationalState);
        Assert.Equal(1400, link.Mtu);
        Assert.Equal("020000000001", link.MacAddress!.ToString());
        Assert.Equal(5, link.MasterIndex);
        Assert.Equal(2, link.PeerIndex);
    }

    [Fact]
    public void Route_message_parses_into_route_info()
    {
        var bytes = Hex(
            "3c000000 1800 0200 06000000 39300000",
            "02 10 00 00 fe 03 00 01 00000000",  // AF_INET /16 main boot universe unicast
            "0800 0f00 fe000000",                // RTA_TABLE 254
            "0800 0100 0a010000",                // RTA_DST 10.1.0.0
            "0800 0500 0a000002",                // RTA_GATEWAY 10.0.0.2
            "0800 0400 03000000");               // RTA_OIF 3
        var reader = new NetlinkMessageReader(bytes);
        Assert.True(reader.TryRead(out var message));
        var route = RouteMessageParser.ParseRoute(message, new Dictionary<int, string> { [3] = "va0" })!;
        Assert.Equal(IPNetwork.Parse("10.1.0.0/16"), route.Destination);
        Assert.False(route.IsDefault);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), route.Gateway);
        Assert.Equal(3, route.OutputInterfaceIndex);
        Assert.Equal("va0", route.OutputInterfaceName);
        Assert.Equal(RouteType.Unicast, route.Type);
        Assert.Equal(RouteInfo.MainTable, route.Table);
        Assert.Equal(RouteProtocol.Boot, route.Protocol);
    }
}
