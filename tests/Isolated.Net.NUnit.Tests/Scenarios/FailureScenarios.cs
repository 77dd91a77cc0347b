using NUnit.Framework;

namespace Isolated.Net.NUnit.Scenarios;

// Deliberate failures, to show what a user sees: run only when NestedRunTests sets
// ISOLATED_NET_NUNIT_SCENARIOS=failures, ignored otherwise.
internal static class Gate
{
    public static void FailuresOnly()
    {
        if (Environment.GetEnvironmentVariable("ISOLATED_NET_NUNIT_SCENARIOS") != "failures")
        {
            Assert.Ignore("deliberate failure scenario: run by NestedRunTests");
        }
    }
}

public class HostFailureScenarios : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("client")
        .AddHost("server")
        .AddSwitch("lan")
        .Connect("client", "lan")
        .Connect("server", "lan");

    [SetUp]
    public void SetUp() => Gate.FailuresOnly();

    [Test, NetworkIsolated("client")]
    public void Sync_assertion_fails_in_a_host() => Assert.That(NetTestContext.Host!.Name, Is.EqualTo("server"), "deliberate");

    [Test, NetworkIsolated("server")]
    public async Task Async_body_throws_after_awaits()
    {
        await Task.Delay(5);
        await Task.Yield();
        throw new InvalidOperationException($"deliberate async failure on net:[{NetTestContext.Namespace!.Inode}]");
    }

    // Open past the test, so the dump taken after the body still shows them.
    private readonly List<System.Net.Sockets.Socket> _keptOpen = [];

    [Test, NetworkIsolated("client", Capture = true)]
    public async Task Fails_with_a_capture()
    {
        _keptOpen.Add(NetTestContext.Host!.Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7002)));
        var serverListener = Topology["server"].Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7001));
        _keptOpen.Add(serverListener);
        _keptOpen.Add(await NetTestContext.Host.ConnectTcpAsync("server", 7001));
        _keptOpen.Add(await serverListener.AcceptAsync());
        Assert.Fail("deliberate failure with a capture");
    }

    [Test, NetworkIsolated("client")]
    public void Passing_test_beside_them() => Assert.That(NetTestContext.Host!.Name, Is.EqualTo("client"));
}

public class FreshFailureScenarios
{
    [SetUp]
    public void SetUp() => Gate.FailuresOnly();

    [Test, NetworkIsolated]
    public void Fails_in_a_fresh_namespace() => Assert.Fail("deliberate failure in a fresh namespace");

    [Test, NetworkIsolated]
    public void Ignored_inside_is_not_a_failure() => Assert.Ignore("ignored from inside the body");
}

public class StrayThreadScenario
{
    private readonly ManualResetEventSlim _release = new();
    private Thread? _stray;

    [SetUp]
    public void SetUp() => Gate.FailuresOnly();

    // Runs after the leak check (which follows the body), so the stray is gone before the next test.
    [TearDown]
    public void TearDown()
    {
        _release.Set();
        _stray?.Join();
    }

    [Test, NetworkIsolated]
    public void Leaves_a_thread_inside_the_namespace()
    {
        // Born on the namespace thread, so inside the namespace: the leak check must name it.
#pragma warning disable ISONET002 // the leak this scenario exists to show
        _stray = new Thread(() => _release.Wait()) { Name = "stray-sleeper", IsBackground = true };
#pragma warning restore ISONET002
        _stray.Start();
    }
}
