using System.Net;
using System.Net.Sockets;
using Isolated.Net.Xunit;
using Xunit;

namespace Isolated.Net.Samples.Xunit;

// Tests that run inside hosts of a topology: the class takes the fixture in its constructor.
public class WebFarmTests(WebFarmFixture farm) : IClassFixture<WebFarmFixture>
{
    [NetFact(Host = "client")]
    public async Task Client_fetches_from_a_server_by_host_name()
    {
        // Listen inside web1 (from any thread: the socket is created in web1's namespace).
        await using var server = new TinyHttpServer(farm["web1"].Listen(new IPEndPoint(IPAddress.IPv6Any, 8080)), "hello from web1");

        // The body runs inside "client"; the host's HttpClient resolves topology names.
        using var http = NetTestContext.Host!.CreateHttpClient();
        Assert.Equal("hello from web1", await http.GetStringAsync("http://web1:8080/"));
    }

    [NetTheory(Host = "client")]
    [InlineData("web1")]
    [InlineData("web2")]
    public async Task Every_server_is_reachable_over_IPv6(string name)
    {
        await using var server = new TinyHttpServer(farm[name].Listen(new IPEndPoint(IPAddress.IPv6Any, 8080)), name);
        using var http = farm["client"].CreateHttpClient();
        var address = farm.Topology.AddressOf(name, AddressFamily.InterNetworkV6);
        Assert.Equal(name, await http.GetStringAsync($"http://[{address}]:8080/"));
    }

    [NetFact(Host = "client")]
    public async Task Nothing_listens_on_a_port_nobody_opened()
    {
        // A plain socket: the body is on the client's namespace thread, so the socket lives there.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() =>
            socket.ConnectAsync(new IPEndPoint(farm.Topology.AddressOf("web2", AddressFamily.InterNetwork), 9)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
