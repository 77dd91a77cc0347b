using System.Net;
using System.Runtime.CompilerServices;
using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Interop.Interop;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Netlink;

// The socket diagnostics requests byte for byte, against layouts worked out by hand from
// linux/inet_diag.h: inet_diag_req_v2 {u8 family, protocol, ext, pad; u32 states; inet_diag_sockid id},
// inet_diag_sockid {be16 sport, dport; be32 src[4], dst[4]; u32 if; u32 cookie[2]}. `ss -K` (iproute2
// 6.1, under strace) sends the same 56-byte request after the same nlmsghdr, with a bytecode filter
// attribute after it that we do without (we filter the dump ourselves).
public class SockDiagGoldenTests
{
    [Fact]
    public void The_structs_have_the_kernel_sizes()
    {
        Assert.Equal(48, Unsafe.SizeOf<inet_diag_sockid>());
        Assert.Equal(56, Unsafe.SizeOf<inet_diag_req_v2>());
        Assert.Equal(72, Unsafe.SizeOf<inet_diag_msg>());
    }

    [Fact]
    public void A_dump_asks_for_every_connected_tcp_socket_of_one_family()
    {
        using var writer = new NetlinkMessageWriter();
        SockDiagSocket.EncodeDump(writer, 7, 10, SockDiagSocket.ConnectedStates);
        Assert.Equal(Show(Hex(
            "48000000 1400 0103 07000000 00000000",       // nlmsghdr len=72 SOCK_DIAG_BY_FAMILY REQUEST|DUMP seq=7
            "0a 06 00 00",                                // family AF_INET6, protocol TCP
            "3e0b0000",                                   // states ESTABLISHED..CLOSING (1<<1..5 | 1<<8 | 1<<9 | 1<<11), no TIME_WAIT or LISTEN
            "0000 0000",                                  // id: any ports
            "00000000 00000000 00000000 00000000",        //     any source
            "00000000 00000000 00000000 00000000",        //     any destination
            "00000000 00000000 00000000")),               //     any interface, no cookie
            Show(writer.WrittenSpan));
    }

    [Fact]
    public unsafe void A_destroy_names_the_socket_as_the_dump_gave_it_cookie_included()
    {
        var id = new inet_diag_sockid { idiag_sport = 0x401f, idiag_dport = 0x50c3 }; // 8000 and 50000, network order
        IPAddress.Parse("10.0.1.2").TryWriteBytes(new Span<byte>(id.idiag_src, 16), out _);
        IPAddress.Parse("10.0.1.3").TryWriteBytes(new Span<byte>(id.idiag_dst, 16), out _);
        id.idiag_cookie[0] = 0x2a;
        using var writer = new NetlinkMessageWriter();
        SockDiagSocket.EncodeDestroy(writer, 1, 2, id);
        Assert.Equal(Show(Hex(
            "48000000 1500 0500 01000000 00000000",       // nlmsghdr len=72 SOCK_DESTROY REQUEST|ACK seq=1
            "02 06 00 00",                                // family AF_INET, protocol TCP
            "ffffffff",                                   // states: any (the id decides)
            "1f40 c350",                                  // sport 8000, dport 50000
            "0a000102 00000000 00000000 00000000",        // src 10.0.1.2
            "0a000103 00000000 00000000 00000000",        // dst 10.0.1.3
            "00000000 2a000000 00000000")),               // if 0, cookie 42
            Show(writer.WrittenSpan));
    }

    [Fact]
    public unsafe void A_dual_stack_socket_talking_IPv4_has_its_IPv4_peer_as_the_remote_address()
    {
        var socket = new inet_diag_msg { idiag_family = 10 };
        IPAddress.Parse("::ffff:10.0.1.3").TryWriteBytes(new Span<byte>(socket.id.idiag_dst, 16), out _);
        Assert.Equal(IPAddress.Parse("10.0.1.3"), SockDiagSocket.RemoteAddress(socket));
        IPAddress.Parse("fd00::3").TryWriteBytes(new Span<byte>(socket.id.idiag_dst, 16), out _);
        Assert.Equal(IPAddress.Parse("fd00::3"), SockDiagSocket.RemoteAddress(socket));
    }
}
