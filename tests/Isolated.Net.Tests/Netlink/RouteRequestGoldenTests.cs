using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Netlink;

// Every request we build, byte for byte, against layouts worked out by hand from the kernel UAPI
// headers: nlmsghdr {u32 len; u16 type; u16 flags; u32 seq; u32 pid}, ifinfomsg {u8 family; u8 pad;
// u16 type; s32 index; u32 flags; u32 change}, ifaddrmsg {u8 family, prefixlen, flags, scope; u32
// index}, rtmsg {u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags}, rtattr
// {u16 len; u16 type} + payload padded to 4 (len excludes the padding of a leaf, includes that of a
// nest's children). Flags: REQUEST 0x1, ACK 0x4, EXCL 0x200, CREATE 0x400, DUMP 0x300.
public class RouteRequestGoldenTests
{
    private static void AssertBytes(byte[] expected, RouteRequest request) =>
        Assert.Equal(Show(expected), Show(Encode(request)));

    [Fact]
    public void Veth_pair_with_both_ends_placed_up_with_mtu_and_mac()
    {
        var request = RouteRequest.CreateVethPair(
            new VethEnd("a0", new FakeFd(7)) { Mtu = 1400, MacAddress = PhysicalAddress.Parse("02-00-00-00-00-01") },
            new VethEnd("b0", new FakeFd(8)) { Mtu = 1300 },
            up: true);
        AssertBytes(Hex(
            "a0000000 1000 0506 01000000 00000000", // nlmsghdr len=160 RTM_NEWLINK REQUEST|ACK|EXCL|CREATE seq=1
            "00 00 0000 00000000 01000000 01000000", // ifinfomsg index=0 flags=IFF_UP change=IFF_UP
            "0700 0300 61300000",                    // IFLA_IFNAME "a0\0"
            "0800 1f00 01000000",                    // IFLA_NUM_TX_QUEUES 1
            "0800 2000 01000000",                    // IFLA_NUM_RX_QUEUES 1
            "0800 0400 78050000",                    // IFLA_MTU 1400
            "0a00 0100 020000000001 0000",           // IFLA_ADDRESS 02:00:00:00:00:01 (+2 pad)
            "0800 1c00 07000000",                    // IFLA_NET_NS_FD 7
            "4c00 1200",                             // IFLA_LINKINFO len=76
            "0800 0100 76657468",                    //   IFLA_INFO_KIND "veth" (no NUL, as iproute2)
            "4000 0200",                             //   IFLA_INFO_DATA len=64
            "3c00 0100",                             //     VETH_INFO_PEER len=60
            "00 00 0000 00000000 00000000 00000000", //       ifinfomsg of the peer: no flags (it cannot open unpaired)
            "0700 0300 62300000",                    //       IFLA_IFNAME "b0\0"
            "0800 1f00 01000000",                    //       IFLA_NUM_TX_QUEUES 1
            "0800 2000 01000000",                    //       IFLA_NUM_RX_QUEUES 1
            "0800 0400 14050000",                    //       IFLA_MTU 1300
            "0800 1c00 08000000"),                   //       IFLA_NET_NS_FD 8
            request);
        Assert.Equal("creating veth pair 'a0'/'b0'", request.Operation);
    }

    [Fact]
    public void Veth_pair_down_in_the_sockets_namespace_with_chosen_indices_and_default_queues()
    {
        var request = RouteRequest.CreateVethPair(new VethEnd("a0") { Index = 10, Queues = null }, new VethEnd("b0") { Index = 11, Queues = null }, up: false);
        AssertBytes(Hex(
            "54000000 1000 0506 01000000 00000000", // len=84
            "00 00 0000 0a000000 00000000 00000000", // ifinfomsg index=10, no flag change
            "0700 0300 61300000",                    // IFLA_IFNAME "a0"
            "2c00 1200",                             // IFLA_LINKINFO len=44
            "0800 0100 76657468",                    //   "veth"
            "2000 0200",                             //   IFLA_INFO_DATA len=32
            "1c00 0100",                             //     VETH_INFO_PEER len=28
            "00 00 0000 0b000000 00000000 00000000", //       index=11
            "0700 0300 62300000"),                   //       IFLA_IFNAME "b0"
            request);
    }

    [Fact]
    public void Veth_pair_enslaving_its_first_end_to_a_bridge_as_it_is_made()
    {
        var request = RouteRequest.CreateVethPair(new VethEnd("p3") { Index = 3, Queues = null, Master = 2 }, new VethEnd("b0") { Queues = null }, up: true);
        AssertBytes(Hex(
            "5c000000 1000 0506 01000000 00000000", // len=92
            "00 00 0000 03000000 01000000 01000000", // ifinfomsg index=3 up
            "0700 0300 70330000",                    // IFLA_IFNAME "p3"
            "0800 0a00 02000000",                    // IFLA_MASTER 2
            "2c00 1200",                             // IFLA_LINKINFO len=44
            "0800 0100 76657468",                    //   "veth"
            "2000 0200",                             //   IFLA_INFO_DATA len=32
            "1c00 0100",                             //     VETH_INFO_PEER len=28
            "00 00 0000 00000000 00000000 00000000", //       ifinfomsg of the peer
            "0700 0300 62300000"),                   //       IFLA_IFNAME "b0"
            request);
        Assert.Throws<ArgumentException>(() => RouteRequest.CreateVethPair(new VethEnd("p3"), new VethEnd("b0") { Master = 2 }, up: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.CreateVethPair(new VethEnd("p3") { Master = 0 }, new VethEnd("b0"), up: false));
    }

    [Fact]
    public void Bridge_with_mtu_up()
    {
        AssertBytes(Hex(
            "40000000 1000 0506 01000000 00000000", // len=64 RTM_NEWLINK create
            "00 00 0000 00000000 01000000 01000000", // up
            "0800 0300 62723000",                    // IFLA_IFNAME "br0\0"
            "0800 0400 28230000",                    // IFLA_MTU 9000
            "1000 1200",                             // IFLA_LINKINFO len=16
            "0a00 0100 627269646765 0000"),          //   IFLA_INFO_KIND "bridge" (len 10, +2 pad)
            RouteRequest.CreateBridge("br0", 9000, up: true));
    }

    [Fact]
    public void Bridge_plain()
    {
        AssertBytes(Hex(
            "38000000 1000 0506 01000000 00000000",
            "00 00 0000 00000000 00000000 00000000",
            "0800 0300 62723000",
            "1000 1200",
            "0a00 0100 627269646765 0000"),
            RouteRequest.CreateBridge("br0", null, up: false));
    }

    [Fact]
    public void Setlink_up_by_name()
    {
        AssertBytes(Hex(
            "28000000 1300 0500 01000000 00000000", // len=40 RTM_SETLINK REQUEST|ACK
            "00 00 0000 00000000 01000000 01000000", // index 0: the name says which link
            "0700 0300 61300000"),                   // IFLA_IFNAME "a0"
            RouteRequest.SetLinkState("a0", up: true));
    }

    [Fact]
    public void Setlink_down_by_index()
    {
        AssertBytes(Hex(
            "20000000 1300 0500 01000000 00000000",
            "00 00 0000 05000000 00000000 01000000"), // index 5, flags 0, change IFF_UP
            RouteRequest.SetLinkState(5, up: false));
    }

    [Fact]
    public void Setlink_mtu()
    {
        AssertBytes(Hex(
            "28000000 1300 0500 01000000 00000000",
            "00 00 0000 03000000 00000000 00000000",
            "0800 0400 28230000"), // IFLA_MTU 9000
            RouteRequest.SetMtu(3, 9000));
    }

    [Fact]
    public void Setlink_mac_by_name()
    {
        var request = RouteRequest.SetMacAddress("a0", PhysicalAddress.Parse("02-aa-bb-cc-dd-ee"));
        AssertBytes(Hex(
            "34000000 1300 0500 01000000 00000000", // len=52
            "00 00 0000 00000000 00000000 00000000",
            "0700 0300 61300000",                    // IFLA_IFNAME "a0"
            "0a00 0100 02aabbccddee 0000"),          // IFLA_ADDRESS
            request);
        Assert.Equal("setting link 'a0' address 02:aa:bb:cc:dd:ee", request.Operation);
    }

    [Fact]
    public void Setlink_master_and_nomaster()
    {
        AssertBytes(Hex(
            "28000000 1300 0500 01000000 00000000",
            "00 00 0000 04000000 00000000 00000000",
            "0800 0a00 03000000"), // IFLA_MASTER 3
            RouteRequest.SetMaster(4, 3));
        AssertBytes(Hex(
            "28000000 1300 0500 01000000 00000000",
            "00 00 0000 04000000 00000000 00000000",
            "0800 0a00 00000000"), // IFLA_MASTER 0: release
            RouteRequest.ReleaseFromMaster(4));
    }

    [Fact]
    public void Setlink_alias()
    {
        var request = RouteRequest.SetAlias(4, "tag1");
        AssertBytes(Hex(
            "2c000000 1300 0500 01000000 00000000", // len=44
            "00 00 0000 04000000 00000000 00000000",
            "0900 1400 74616731 00000000"),          // IFLA_IFALIAS "tag1\0", padded
            request);
        Assert.Equal("setting link #4 alias 'tag1'", request.Operation);
        Assert.Throws<ArgumentException>(() => RouteRequest.SetAlias(4, new string('x', 256)));
    }

    [Fact]
    public void Setlink_name()
    {
        var request = RouteRequest.Rename(4, "x0", currentName: "a0");
        AssertBytes(Hex(
            "28000000 1300 0500 01000000 00000000",
            "00 00 0000 04000000 00000000 00000000", // by index: IFLA_IFNAME is the new name
            "0700 0300 78300000"),                   // IFLA_IFNAME "x0"
            request);
        Assert.Equal("renaming link 'a0' to 'x0'", request.Operation);
    }

    [Fact]
    public void Dellink_by_name_and_by_index()
    {
        AssertBytes(Hex(
            "28000000 1100 0500 01000000 00000000", // RTM_DELLINK
            "00 00 0000 00000000 00000000 00000000",
            "0700 0300 61300000"),
            RouteRequest.DeleteLink("a0"));
        AssertBytes(Hex(
            "20000000 1100 0500 01000000 00000000",
            "00 00 0000 04000000 00000000 00000000"),
            RouteRequest.DeleteLink(4));
    }

    [Fact]
    public void Getlink_by_name()
    {
        AssertBytes(Hex(
            "30000000 1200 0500 01000000 00000000", // len=48 RTM_GETLINK REQUEST|ACK
            "00 00 0000 00000000 00000000 00000000",
            "0700 0300 61300000",                    // IFLA_IFNAME "a0"
            "0800 1d00 08000000"),                   // IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS
            RouteRequest.GetLink("a0"));
    }

    [Fact]
    public void Dump_links()
    {
        AssertBytes(Hex(
            "28000000 1200 0103 01000000 00000000", // RTM_GETLINK REQUEST|DUMP
            "00 00 0000 00000000 00000000 00000000",
            "0800 1d00 08000000"),
            RouteRequest.DumpLinks());
    }

    [Fact]
    public void Newaddr_ipv4_with_broadcast()
    {
        var request = RouteRequest.AddAddress(2, IPAddress.Parse("10.0.0.1"), 24);
        AssertBytes(Hex(
            "30000000 1400 0506 01000000 00000000", // len=48 RTM_NEWADDR create
            "02 18 00 00 02000000",                  // ifaddrmsg AF_INET /24 flags=0 scope=universe index=2
            "0800 0200 0a000001",                    // IFA_LOCAL 10.0.0.1
            "0800 0100 0a000001",                    // IFA_ADDRESS 10.0.0.1
            "0800 0400 0a0000ff"),                   // IFA_BROADCAST 10.0.0.255
            request);
        Assert.Equal("adding address 10.0.0.1/24 to link #2", request.Operation);
    }

    [Fact]
    public void Newaddr_ipv4_point_to_point_prefix_has_no_broadcast()
    {
        AssertBytes(Hex(
            "28000000 1400 0506 01000000 00000000",
            "02 1f 00 00 02000000", // /31
            "0800 0200 0a000000",
            "0800 0100 0a000000"),
            RouteRequest.AddAddress(2, IPAddress.Parse("10.0.0.0"), 31));
    }

    [Fact]
    public void Newaddr_ipv6_nodad()
    {
        AssertBytes(Hex(
            "40000000 1400 0506 01000000 00000000",     // len=64
            "0a 40 02 00 02000000",                      // AF_INET6 /64 IFA_F_NODAD index=2
            "1400 0200 fd000000000000000000000000000001", // IFA_LOCAL fd00::1
            "1400 0100 fd000000000000000000000000000001"), // IFA_ADDRESS fd00::1
            RouteRequest.AddAddress(2, IPAddress.Parse("fd00::1"), 64));
    }

    [Fact]
    public void Deladdr_ipv4_and_ipv6()
    {
        AssertBytes(Hex(
            "28000000 1500 0500 01000000 00000000", // RTM_DELADDR REQUEST|ACK
            "02 18 00 00 02000000",
            "0800 0200 0a000001",
            "0800 0100 0a000001"),
            RouteRequest.RemoveAddress(2, IPAddress.Parse("10.0.0.1"), 24));
        AssertBytes(Hex(
            "40000000 1500 0500 01000000 00000000",
            "0a 40 00 00 02000000", // no NODAD on removal
            "1400 0200 fd000000000000000000000000000001",
            "1400 0100 fd000000000000000000000000000001"),
            RouteRequest.RemoveAddress(2, IPAddress.Parse("fd00::1"), 64));
    }

    [Fact]
    public void Dump_addresses()
    {
        AssertBytes(Hex(
            "18000000 1600 0103 01000000 00000000", // RTM_GETADDR REQUEST|DUMP
            "00 00 00 00 00000000"),                 // AF_UNSPEC: both families
            RouteRequest.DumpAddresses());
        AssertBytes(Hex(
            "18000000 1600 0103 01000000 00000000",
            "0a 00 00 00 00000000"),
            RouteRequest.DumpAddresses(AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Newroute_default_via_gateway_and_device()
    {
        var request = RouteRequest.AddRoute(RouteSpec.Default(IPAddress.Parse("10.0.0.254"), 2));
        AssertBytes(Hex(
            "2c000000 1800 0506 01000000 00000000", // len=44 RTM_NEWROUTE create
            "02 00 00 00 fe 03 00 01 00000000",      // rtmsg AF_INET dst_len=0 table=main proto=boot scope=universe type=unicast
            "0800 0500 0a0000fe",                    // RTA_GATEWAY 10.0.0.254
            "0800 0400 02000000"),                   // RTA_OIF 2
            request);
        Assert.Equal("adding route default via 10.0.0.254 dev #2", request.Operation);
    }

    [Fact]
    public void Newroute_ipv6_default_via_gateway()
    {
        AssertBytes(Hex(
            "30000000 1800 0506 01000000 00000000",
            "0a 00 00 00 fe 03 00 01 00000000",
            "1400 0500 fd000000000000000000000000000002"), // RTA_GATEWAY fd00::2
            RouteRequest.AddRoute(RouteSpec.Default(IPAddress.Parse("fd00::2"))));
    }

    [Fact]
    public void Newroute_ipv6_prefix_via_gateway()
    {
        AssertBytes(Hex(
            "44000000 1800 0506 01000000 00000000",       // len=68
            "0a 40 00 00 fe 03 00 01 00000000",            // AF_INET6 dst_len=64
            "1400 0100 fd000001000000000000000000000000", // RTA_DST fd00:1::
            "1400 0500 fd000000000000000000000000000003"), // RTA_GATEWAY fd00::3
            RouteRequest.AddRoute(RouteSpec.Via(IPNetwork.Parse("fd00:1::/64"), IPAddress.Parse("fd00::3"))));
    }

    [Fact]
    public void Newroute_prefix_via_device_is_link_scope()
    {
        AssertBytes(Hex(
            "2c000000 1800 0506 01000000 00000000",
            "02 10 00 00 fe 03 fd 01 00000000", // dst_len=16 scope=link (253)
            "0800 0100 0a010000",               // RTA_DST 10.1.0.0
            "0800 0400 03000000"),              // RTA_OIF 3
            RouteRequest.AddRoute(RouteSpec.Device(IPNetwork.Parse("10.1.0.0/16"), 3)));
    }

    [Fact]
    public void Newroute_blackhole()
    {
        var request = RouteRequest.AddRoute(RouteSpec.Reject(RouteType.Blackhole, IPNetwork.Parse("10.9.0.0/16")));
        AssertBytes(Hex(
            "24000000 1800 0506 01000000 00000000", // len=36
            "02 10 00 00 fe 03 00 06 00000000",      // type=RTN_BLACKHOLE
            "0800 0100 0a090000"),
            request);
        Assert.Equal("adding route blackhole 10.9.0.0/16", request.Operation);
    }

    [Fact]
    public void Newroute_ipv6_unreachable()
    {
        AssertBytes(Hex(
            "30000000 1800 0506 01000000 00000000",
            "0a 20 00 00 fe 03 00 07 00000000",             // dst_len=32 type=RTN_UNREACHABLE
            "1400 0100 fd000009000000000000000000000000"),  // RTA_DST fd00:9::
            RouteRequest.AddRoute(RouteSpec.Reject(RouteType.Unreachable, IPNetwork.Parse("fd00:9::/32"))));
    }

    [Fact]
    public void Newroute_prohibit_in_a_table_above_255_with_metric()
    {
        AssertBytes(Hex(
            "34000000 1800 0506 01000000 00000000", // len=52
            "02 10 00 00 00 03 00 08 00000000",      // table=RT_TABLE_UNSPEC: the table goes in RTA_TABLE; type=RTN_PROHIBIT
            "0800 0100 0a080000",                    // RTA_DST 10.8.0.0
            "0800 0600 0a000000",                    // RTA_PRIORITY 10
            "0800 0f00 e8030000"),                   // RTA_TABLE 1000
            RouteRequest.AddRoute(RouteSpec.Reject(RouteType.Prohibit, IPNetwork.Parse("10.8.0.0/16")) with { Table = 1000, Metric = 10 }));
    }

    [Fact]
    public void Delroute_matches_loosely_like_iproute2()
    {
        AssertBytes(Hex(
            "2c000000 1900 0500 01000000 00000000", // RTM_DELROUTE REQUEST|ACK
            "02 10 00 00 fe 00 ff 00 00000000",      // proto=unspec scope=nowhere type=unspec
            "0800 0100 0a010000",
            "0800 0500 0a000002"),
            RouteRequest.RemoveRoute(RouteSpec.Via(IPNetwork.Parse("10.1.0.0/16"), IPAddress.Parse("10.0.0.2"))));
        AssertBytes(Hex(
            "24000000 1900 0500 01000000 00000000",
            "02 10 00 00 fe 00 ff 06 00000000", // a reject route keeps its type
            "0800 0100 0a090000"),
            RouteRequest.RemoveRoute(RouteSpec.Reject(RouteType.Blackhole, IPNetwork.Parse("10.9.0.0/16"))));
    }

    [Fact]
    public void Dump_routes_of_one_table()
    {
        AssertBytes(Hex(
            "1c000000 1a00 0103 01000000 00000000", // RTM_GETROUTE REQUEST|DUMP
            "02 00 00 00 fe 00 00 00 00000000"),     // AF_INET table=main
            RouteRequest.DumpRoutes(AddressFamily.InterNetwork));
        AssertBytes(Hex(
            "24000000 1a00 0103 01000000 00000000",
            "0a 00 00 00 00 00 00 00 00000000",
            "0800 0f00 e8030000"), // RTA_TABLE 1000
            RouteRequest.DumpRoutes(AddressFamily.InterNetworkV6, 1000));
    }

    [Fact]
    public void Several_requests_go_back_to_back_with_consecutive_sequence_numbers()
    {
        using var writer = new NetlinkMessageWriter();
        RouteRequest.SetLinkState(5, up: true).Encode(writer, 41);
        RouteRequest.SetMtu(5, 1500).Encode(writer, 42);
        Assert.Equal(2, writer.MessageCount);
        Assert.Equal(Show(Hex(
            "20000000 1300 0500 29000000 00000000",
            "00 00 0000 05000000 01000000 01000000",
            "28000000 1300 0500 2a000000 00000000",
            "00 00 0000 05000000 00000000 00000000",
            "0800 0400 dc050000")), Show(writer.WrittenSpan));
    }
}
