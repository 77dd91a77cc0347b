using System.Net;
using System.Net.Sockets;
using Isolated.Net.Xunit.V3;
using Xunit;

namespace Isolated.Net.Samples.XunitV3;

// Without a host, every test gets a private namespace with only loopback: fixed ports never collide with
// the machine or with tests running in parallel. Unprivileged, these tests are skipped with the reason.
public class LoopbackTests(ITestOutputHelper output)
{
    [NetFact]
    public async Task Fixed_port_is_always_free()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 5432));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 5432), cancel);
        using var accepted = await listener.AcceptAsync(cancel);
        // Output written inside the namespace lands in the test's result as usual.
        output.WriteLine($"connected inside {NetTestContext.Namespace}");
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
}
