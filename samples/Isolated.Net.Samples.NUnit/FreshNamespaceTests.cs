using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Isolated.Net.NUnit;
using NUnit.Framework;

namespace Isolated.Net.Samples.NUnit;

// On the class: every test gets its own fresh namespace (loopback only), even when they run in parallel.
[NetworkIsolated]
[Parallelizable(ParallelScope.Children)]
public class FreshNamespaceTests
{
    [TestCase("first")]
    [TestCase("second")]
    [TestCase("third")]
    public async Task Each_test_can_use_the_same_fixed_port(string name)
    {
        // Every row binds 127.0.0.1:8080 at once, without conflict: each has its own loopback.
        using var listener = new TcpListener(IPAddress.Loopback, 8080);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, 8080);
        using var accepted = await listener.AcceptTcpClientAsync();
        Assert.That(accepted.Connected, Is.True, name);
    }

    [Test]
    public void A_fresh_namespace_has_nothing_but_loopback()
    {
        Assert.That(NetworkInterface.GetAllNetworkInterfaces().Select(i => i.Name), Is.EqualTo(new[] { "lo" }));
        Assert.That(NetTestContext.Namespace!.GetLinks(), Has.Count.EqualTo(1));
    }
}
