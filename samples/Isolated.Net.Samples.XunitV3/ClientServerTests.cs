using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net;
using Isolated.Net.Xunit.V3;
using Xunit;

[assembly: AssemblyFixture(typeof(Isolated.Net.Samples.XunitV3.OfficeFixture))]

namespace Isolated.Net.Samples.XunitV3;

// A server and a client on one switch, built once for the whole assembly (an xUnit v3 assembly fixture)
// on first use; class and collection fixtures work the same way.
public sealed class OfficeFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")   // 10.0.1.1
        .AddHost("client").Connect("client", "lan");  // 10.0.1.2
}

public class ClientServerTests(OfficeFixture office)
{
    [NetFact("client")]
    public async Task Client_talks_to_the_server_by_name()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var listener = office["server"].Listen(new IPEndPoint(IPAddress.Any, 7));
        var serve = EchoOnceAsync(listener, cancel);

        // The body runs inside "client": its sockets are the client's.
        using var connection = await NetTestContext.Host!.ConnectTcpAsync("server", 7);
        await connection.SendAsync(Encoding.ASCII.GetBytes("ping"), cancel);
        var reply = new byte[4];
        Assert.Equal(4, await connection.ReceiveAsync(reply, cancel));
        Assert.Equal("ping", Encoding.ASCII.GetString(reply));
        Assert.Equal(office["client"].PrimaryIPv4, await serve);
    }

    [NetFact("server")]
    public void Each_host_has_its_own_address() =>
        Assert.NotEqual(office["client"].PrimaryIPv4, NetTestContext.Host!.PrimaryIPv4);

    // Echoes one message back and returns who sent it.
    private static async Task<IPAddress> EchoOnceAsync(Socket listener, CancellationToken cancel)
    {
        using var peer = await listener.AcceptAsync(cancel);
        var buffer = new byte[64];
        var count = await peer.ReceiveAsync(buffer, cancel);
        await peer.SendAsync(buffer.AsMemory(0, count), cancel);
        return ((IPEndPoint)peer.RemoteEndPoint!).Address;
    }
}
