using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Isolated.Net.NUnit;
using NUnit.Framework;

namespace Isolated.Net.Samples.NUnit;

// One topology for the whole fixture: two hosts on a switch, built before the tests, disposed after.
public class ClientServerTests : TopologyFixture
{
    private EchoServer _server = null!;

    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("client")
        .AddHost("server")
        .AddSwitch("lan")
        .Connect("client", "lan")   // client: 10.0.1.1, fd7a:15e:0:1::1
        .Connect("server", "lan");  // server: 10.0.1.2, fd7a:15e:0:1::2

    [OneTimeSetUp]
    public void StartServer() =>
        // The socket is made inside "server"; the server's own code then runs on the thread pool.
        _server = new EchoServer(this["server"].Listen(new IPEndPoint(IPAddress.IPv6Any, 7000)));

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [Test, NetworkIsolated("client")]
    public async Task The_client_reaches_the_server_over_the_switch()
    {
        // Plain BCL code: the body runs on the client's namespace thread, so this socket is the client's.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Topology.AddressOf("server"), _server.Port);
        using var reader = new StreamReader(tcp.GetStream());
        await using var writer = new StreamWriter(tcp.GetStream()) { AutoFlush = true };

        await writer.WriteLineAsync("hello");

        Assert.That(await reader.ReadLineAsync(), Is.EqualTo("echo from [::ffff:10.0.1.2]:7000: hello"));
        Assert.That(((IPEndPoint)tcp.Client.LocalEndPoint!).Address.MapToIPv4(), Is.EqualTo(Topology.AddressOf("client")));
    }

    [TestCase(AddressFamily.InterNetwork)]
    [TestCase(AddressFamily.InterNetworkV6)]
    [NetworkIsolated("client")]
    public async Task Both_address_families_work(AddressFamily family)
    {
        using var tcp = new TcpClient(family);
        await tcp.ConnectAsync(Topology.AddressOf("server", family), _server.Port);
        Assert.That(tcp.Connected, Is.True);
    }

    [Test, NetworkIsolated("client")]
    public void The_client_sees_only_its_own_interfaces()
    {
        var names = NetworkInterface.GetAllNetworkInterfaces().Select(i => i.Name).Order();
        Assert.That(names, Is.EqualTo(new[] { "eth0", "lo" }));
    }
}
