using System.Net;
using System.Net.Sockets;
using Isolated.Net.Xunit;
using Xunit;

namespace Isolated.Net.Samples.Xunit;

// Without a host, every test gets a private namespace with only loopback: fixed ports never collide
// with the machine or with tests running in parallel.
public class LoopbackTests
{
    [NetFact]
    public async Task Fixed_port_is_always_free()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 5432));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, 5432);
        using var accepted = await listener.AcceptAsync();
        Assert.True(accepted.Connected);
    }

    [NetTheory]
    [InlineData(80)]
    [InlineData(443)]
    public void Privileged_ports_are_free_too(int port)
    {
        using var listener = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.IPv6Loopback, port));
        Assert.Equal(port, ((IPEndPoint)listener.LocalEndPoint!).Port);
    }

    [NetFact]
    public async Task The_outside_world_is_unreachable()
    {
        // No interface but lo, no routes: connecting anywhere else fails at once, nothing leaves the box.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var error = await Assert.ThrowsAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Parse("192.0.2.1"), 80));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
    }
}
