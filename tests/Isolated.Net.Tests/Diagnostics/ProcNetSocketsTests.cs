using System.Net;
using Xunit;

namespace Isolated.Net.Tests.Diagnostics;

// Lines as the kernel prints them (net/ipv4/tcp_ipv4.c get_tcp4_sock, net/ipv6/tcp_ipv6.c get_tcp6_sock).
public class ProcNetSocketsTests
{
    [Fact]
    public void Tcp4_listen_and_established()
    {
        const string text = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0 100 0 0 10 0
               1: 0100000A:D431 0200000A:1B58 01 00000000:00000000 00:00000000 00000000     0        0 1235 1 0 20 4 30 10 -1
            """;
        var sockets = ProcNetSockets.Parse(text, SocketProtocol.Tcp).ToList();
        Assert.Equal(2, sockets.Count);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), sockets[0].Local);
        Assert.Equal("LISTEN", sockets[0].State);
        Assert.True(sockets[0].IsListening);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 54321), sockets[1].Local);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.2"), 7000), sockets[1].Remote);
        Assert.Equal("ESTAB", sockets[1].State);
    }

    [Fact]
    public void Tcp6_and_udp_states()
    {
        // fd7a:15e:0:1::2 port 443: each 32-bit word printed in host (little-endian) order.
        var endPoint = ProcNetSockets.ParseEndPoint("5E017AFD010000000000000002000000:01BB");
        Assert.Equal(new IPEndPoint(IPAddress.Parse("fd7a:15e:0:1::2"), 443), endPoint);
        var udp = ProcNetSockets.Parse("header\n   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000 0 0 1 2\n", SocketProtocol.Udp).Single();
        Assert.Equal("UNCONN", udp.State);
        Assert.Equal(53, udp.Local.Port);
    }
}
