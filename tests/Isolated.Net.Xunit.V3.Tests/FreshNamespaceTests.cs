using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Isolated.Net.Xunit.V3.Tests;

public class FreshNamespaceTests(ITestOutputHelper output)
{
    [NetFact]
    public void Sync_body_runs_inside_a_fresh_namespace()
    {
        var ns = NetTestContext.Namespace;
        Assert.NotNull(ns);
        Assert.Null(NetTestContext.Host);
        Assert.Equal(ns.Inode, Membership.Current);
        Assert.NotEqual(Membership.Root, Membership.Current);
        Assert.True(ns.IsCurrentThread);
    }

    [NetFact]
    public async Task Async_body_stays_inside_across_awaits()
    {
        var ns = NetTestContext.Namespace!;
        await Task.Delay(20, TestContext.Current.CancellationToken);
        Assert.Equal(ns.Inode, Membership.Current);
        await Task.Yield();
        Assert.True(ns.IsCurrentThread);
    }

    [NetFact]
    public async ValueTask ValueTask_body_is_awaited_inside()
    {
        var ns = NetTestContext.Namespace!;
        await Task.Delay(10, TestContext.Current.CancellationToken);
        Assert.Equal(ns.Inode, Membership.Current);
    }

    [NetFact]
    public void Test_context_flows_into_the_namespace_thread()
    {
        // xunit's TestContext (test identity, cancellation, output) is the running test's inside too.
        var context = TestContext.Current;
        Assert.Equal(nameof(Test_context_flows_into_the_namespace_thread), context.TestMethod?.MethodName);
        Assert.True(context.CancellationToken.CanBeCanceled);
        Assert.False(context.CancellationToken.IsCancellationRequested);
        Assert.NotNull(context.TestOutputHelper);
        output.WriteLine($"written from inside net:[{NetTestContext.Namespace!.Inode}]");
        Assert.Contains("written from inside net:[", context.TestOutputHelper.Output, StringComparison.Ordinal);
    }

    [NetFact]
    public async Task Loopback_is_up_and_private()
    {
        // Port 80 on loopback: free in every fresh namespace, whatever the machine runs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 80));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 80), TestContext.Current.CancellationToken);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
    }

    [NetFact(LifecycleInside = true)]
    public void Lifecycle_inside_runs_the_body_inside_too() =>
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);

    [NetTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void Theory_rows_get_a_fresh_namespace_each(int row)
    {
        Assert.InRange(row, 1, 2);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
        Assert.NotEqual(Membership.Root, Membership.Current);
    }

    public static TheoryData<Func<int>> NotSerializable => new() { () => 1 };

    [NetTheory]
    [MemberData(nameof(NotSerializable))]
    public void Theory_enumerated_at_run_time_runs_inside(Func<int> value)
    {
        Assert.Equal(1, value());
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
    }
}

// The constructor runs outside by default, and inside with LifecycleInside.
public class LifecycleTests
{
    private readonly ulong _constructedIn = Membership.Current;

    [NetFact]
    public void Constructor_runs_in_the_root_namespace_by_default()
    {
        Assert.Equal(Membership.Root, _constructedIn);
        Assert.NotEqual(Membership.Root, Membership.Current);
    }

    [NetFact(LifecycleInside = true)]
    public void Constructor_runs_inside_with_lifecycle_inside() =>
        Assert.Equal(Membership.Current, _constructedIn);
}
