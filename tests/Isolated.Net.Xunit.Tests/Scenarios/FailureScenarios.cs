using Isolated.Net.Xunit.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Isolated.Net.Xunit.Scenarios.Failures;

// Run privileged: each test fails on purpose, and the outer test checks how the failure is reported.
public class FreshNamespaceFailures(ITestOutputHelper output)
{
    [NetFact]
    public void Fails_in_a_fresh_namespace()
    {
        output.WriteLine($"written from inside net:[{NetTestContext.Namespace!.Inode}]");
        Assert.Fail("deliberate failure in a fresh namespace");
    }

    [NetFact]
    public async ValueTask ValueTask_fails_after_an_await()
    {
        await Task.Delay(10);
        Assert.Fail("deliberate failure after an await in a ValueTask body");
    }

    [NetFact]
    public void Leaves_a_thread_inside()
    {
#pragma warning disable ISONET002 // the leak this scenario exists to show
        var thread = new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = true, Name = "stray-scenario" };
#pragma warning restore ISONET002
        thread.Start();
    }

    [NetFact(Host = "client")]
    public void Host_without_a_fixture() => Assert.Fail("must not run: there is no fixture");
}

public class HostFailures(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    private static readonly List<System.Net.Sockets.Socket> s_keptOpen = [];

    [NetFact(Host = "client")]
    public void Fails_in_a_host() => Assert.Fail($"deliberate failure in host client of {fixture.GetType().Name}");

    [NetFact(Host = "client", Capture = true)]
    public async Task Fails_with_a_capture()
    {
        // A listening socket and a connection for the dump (kept open past the test, so the dump taken
        // after it still shows them), and one TCP handshake for the capture.
        s_keptOpen.Add(NetTestContext.Host!.Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7002)));
        var serverListener = fixture.Topology["server"].Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7001));
        s_keptOpen.Add(serverListener);
        s_keptOpen.Add(await NetTestContext.Host.ConnectTcpAsync("server", 7001));
        s_keptOpen.Add(await serverListener.AcceptAsync());
        Assert.Fail("deliberate failure with a capture");
    }

    [NetFact(Host = "nobody")]
    public void Unknown_host() => Assert.Fail("must not run: no such host");
}

public class BrokenFixtureFailures(BrokenFixture fixture) : IClassFixture<BrokenFixture>
{
    [NetFact(Host = "client")]
    public void First_user_of_a_broken_fixture() => Assert.Fail($"must not run: {fixture.GetType().Name} cannot build");

    [NetFact(Host = "client")]
    public void Second_user_of_a_broken_fixture() => Assert.Fail($"must not run: {fixture.GetType().Name} cannot build");
}

// A fixture of its own (class fixtures are per class): the cut stays in force when the failure is reported.
public class PartitionedFailures(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    [NetFact(Host = "client", Capture = true)]
    public void Fails_while_cut_off()
    {
        fixture.Topology.Cut("client", "server", new CutOptions { OneWay = true });
        Assert.Fail("deliberate failure while cut off from the server");
    }
}
