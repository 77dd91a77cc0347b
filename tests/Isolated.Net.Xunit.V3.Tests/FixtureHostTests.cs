using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Isolated.Net.Xunit.V3.Tests;

public class FixtureHostTests(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    [NetFact("client")]
    public void Body_runs_in_the_named_host()
    {
        Assert.Equal(fixture.Topology["client"].Namespace.Inode, Membership.Current);
        Assert.Same(fixture.Topology["client"], NetTestContext.Host);
        Assert.Same(fixture.Topology["client"].Namespace, NetTestContext.Namespace);
    }

    [NetFact(Host = "server")]
    public async Task Async_body_stays_in_the_host()
    {
        await Task.Delay(10, TestContext.Current.CancellationToken);
        Assert.Equal(fixture["server"].Namespace.Inode, Membership.Current);
    }

    [NetFact("client")]
    public async Task Client_reaches_the_server_across_the_switch()
    {
        using var listener = fixture["server"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var accept = listener.AcceptAsync(TestContext.Current.CancellationToken);
        // A plain socket: the body is on the client's thread, so it is made inside the client.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(fixture.Topology.AddressOf("server", AddressFamily.InterNetwork), 7000), TestContext.Current.CancellationToken);
        using var accepted = await accept;
        Assert.Equal(fixture["client"].PrimaryIPv4, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
    }

    [NetTheory("server")]
    [InlineData("client")]
    [InlineData("server")]
    public void Theory_rows_run_in_the_host(string peer)
    {
        Assert.Equal(fixture["server"].Namespace.Inode, Membership.Current);
        Assert.NotNull(fixture.Topology.AddressOf(peer));
    }
}

[CollectionDefinition(Name)]
public class RoutedNetworkGroup : ICollectionFixture<RoutedFixture>
{
    public const string Name = "routed";
}

[Collection(RoutedNetworkGroup.Name)]
public class CollectionFixtureHostTests(RoutedFixture fixture)
{
    [NetFact("left")]
    public void Body_runs_in_a_host_of_the_collection_fixture() =>
        Assert.Equal(fixture["left"].Namespace.Inode, Membership.Current);

    [NetFact("router")]
    public void Routers_are_hosts_too() =>
        Assert.Equal(fixture["router"].Namespace.Inode, Membership.Current);
}

public class AssemblyFixtureHostTests(AssemblyWideFixture fixture)
{
    [NetFact("solo")]
    public void Body_runs_in_a_host_of_the_assembly_fixture() =>
        Assert.Equal(fixture["solo"].Namespace.Inode, Membership.Current);
}
