using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

public class TopologyFixtureTests : TopologyFixture
{
    private ulong _oneTimeSetUpInode;

    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("client")
        .AddHost("server")
        .AddSwitch("lan")
        .Connect("client", "lan")
        .Connect("server", "lan");

    [OneTimeSetUp]
    public void RecordWhereOneTimeSetUpRan()
    {
        // The base class's OneTimeSetUp ran first: the topology exists here already.
        Assert.That(Topology.Hosts, Has.Count.EqualTo(2));
        _oneTimeSetUpInode = Membership.Current;
    }

    [Test]
    public void The_topology_was_built_from_the_root_namespace()
    {
        Assert.That(_oneTimeSetUpInode, Is.EqualTo(Membership.RootInode));
        Assert.That(Membership.Current, Is.EqualTo(Membership.RootInode));
    }

    [Test, NetworkIsolated("client")]
    public void Sync_body_runs_in_the_named_host()
    {
        Assert.That(NetTestContext.Host, Is.SameAs(this["client"]));
        Assert.That(NetTestContext.Namespace, Is.SameAs(this["client"].Namespace));
        Assert.That(this["client"].Namespace.IsCurrentThread, Is.True);
        Assert.That(Membership.Current, Is.EqualTo(this["client"].Namespace.Inode).And.Not.EqualTo(Membership.RootInode));
    }

    [TestCase("client")]
    [TestCase("server")]
    public void Rows_without_the_attribute_stay_in_the_root_namespace(string host)
    {
        Assert.That(Membership.Current, Is.EqualTo(Membership.RootInode));
        Assert.That(this[host].Namespace.Inode, Is.Not.EqualTo(Membership.RootInode));
    }

    [Test, NetworkIsolated("server")]
    public async Task Async_body_in_the_server_host_talks_to_the_client_host()
    {
        var server = this["server"];
        // Made on this thread, so inside the server host.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 0));
        listener.Listen();
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var accept = listener.AcceptAsync();
        using var client = await this["client"].ConnectTcpAsync("server", port);
        using var accepted = await accept;
        Assert.That(((IPEndPoint)accepted.RemoteEndPoint!).Address, Is.EqualTo(Topology.AddressOf("client")));
        Assert.That(Membership.Current, Is.EqualTo(server.Namespace.Inode), "after the awaits");
        Assert.That(server.Namespace.IsCurrentThread, Is.True);
    }

    [TestCase(1)]
    [TestCase(2)]
    [NetworkIsolated("client")]
    public async Task Async_rows_run_in_the_host(int delay)
    {
        await Task.Delay(delay);
        Assert.That(Membership.Current, Is.EqualTo(this["client"].Namespace.Inode));
    }
}
