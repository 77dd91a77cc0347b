using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Isolated.Net.Xunit.Tests;

public class FreshNamespaceTests
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ulong> s_seen = new();

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
        Assert.Equal(ns.Inode, Membership.Current);
        await Task.Delay(20);
        Assert.Equal(ns.Inode, Membership.Current);
        await Task.Yield();
        Assert.True(ns.IsCurrentThread);
        using var timer = new CancellationTokenSource(TimeSpan.FromMilliseconds(10));
        await Task.Delay(Timeout.Infinite, timer.Token).ContinueWith(_ => { }, TaskScheduler.Current);
        Assert.Equal(ns.Inode, Membership.Current);
    }

    [NetFact]
    public async ValueTask ValueTask_body_is_awaited_inside()
    {
        var ns = NetTestContext.Namespace!;
        await Task.Delay(10);
        Assert.Equal(ns.Inode, Membership.Current);
        await new ValueTask(Task.Delay(10));
        Assert.Equal(ns.Inode, Membership.Current);
    }

    [NetFact]
    public async ValueTask<int> ValueTask_of_T_body_is_awaited_inside()
    {
        await Task.Delay(10);
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
        return 42;
    }

    [NetFact]
    public async Task Loopback_is_up_and_private()
    {
        // Port 80 on loopback: free in every fresh namespace, whatever the machine runs.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 80));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 80));
        using var accepted = await listener.AcceptAsync();
        Assert.Equal(NetTestContext.Namespace!.Inode, Membership.Current);
        var links = NetTestContext.Namespace.GetLinks();
        Assert.Equal("lo", Assert.Single(links).Name);
    }

    [NetFact]
    public void Each_test_gets_its_own_namespace_a() => Record("a");

    [NetFact]
    public void Each_test_gets_its_own_namespace_b() => Record("b");

    private static void Record(string name)
    {
        ulong inode = Membership.Current;
        s_seen[name] = inode;
        // Whichever test runs second sees the other's inode: namespaces are never shared.
        foreach (var (other, otherInode) in s_seen)
        {
            if (other != name)
            {
                Assert.NotEqual(otherInode, inode);
            }
        }
    }
}
