using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

public class FreshNamespaceTests
{
    private static readonly ConcurrentDictionary<ulong, string> s_cookies = new();

    [Test, NetworkIsolated]
    public void Sync_body_runs_on_the_namespace_thread_of_a_fresh_namespace()
    {
        var ns = NetTestContext.Namespace!;
        Assert.That(ns, Is.Not.Null);
        Assert.That(NetTestContext.Host, Is.Null);
        Assert.That(ns.IsCurrentThread, Is.True);
        Assert.That(Membership.Current, Is.EqualTo(ns.Inode).And.Not.EqualTo(Membership.RootInode));
        Assert.That(ns.GetLinks().Select(l => l.Name), Is.EqualTo(new[] { "lo" }), "a fresh namespace has loopback only");
    }

    [Test, NetworkIsolated]
    public async Task Async_body_stays_inside_across_timer_and_socket_awaits()
    {
        var ns = NetTestContext.Namespace!;
        int thread = Environment.CurrentManagedThreadId;
        Assert.That(Membership.Current, Is.EqualTo(ns.Inode));

        await Task.Delay(20);
        Assert.That(Membership.Current, Is.EqualTo(ns.Inode), "after Task.Delay");
        await Task.Yield();
        Assert.That(Membership.Current, Is.EqualTo(ns.Inode), "after Task.Yield");

        // Sockets made here are the namespace's; their completions come from the root-namespace epoll
        // thread, and the continuations come back to this thread.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            using var client = new TcpClient();
            var accept = listener.AcceptTcpClientAsync();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            using var server = await accept;
            await client.GetStream().WriteAsync(new byte[] { 42 });
            var buffer = new byte[1];
            Assert.That(await server.GetStream().ReadAsync(buffer), Is.EqualTo(1));
            Assert.That(buffer[0], Is.EqualTo(42));
        }
        finally
        {
            listener.Stop();
        }

        Assert.That(Membership.Current, Is.EqualTo(ns.Inode), "after socket awaits");
        Assert.That(Environment.CurrentManagedThreadId, Is.EqualTo(thread));
        Assert.That(ns.IsCurrentThread, Is.True);
    }

    [TestCase("first")]
    [TestCase("second")]
    [TestCase("third")]
    [NetworkIsolated]
    public void Every_row_gets_its_own_namespace(string row)
    {
        var ns = NetTestContext.Namespace!;
        Assert.That(Membership.Current, Is.EqualTo(ns.Inode));
        // Cookies are never reused (inode numbers may be, once a namespace is freed).
        Assert.That(ns.Cookie, Is.Not.Null);
        Assert.That(s_cookies.TryAdd(ns.Cookie!.Value, row), Is.True, $"row {row} shares a namespace with row {s_cookies.GetValueOrDefault(ns.Cookie!.Value)}");
    }

    [TestCase(2, ExpectedResult = 4)]
    [TestCase(5, ExpectedResult = 25)]
    [NetworkIsolated]
    public async Task<int> Async_rows_return_their_expected_result_from_inside(int value)
    {
        await Task.Delay(1);
        Assert.That(Membership.Current, Is.EqualTo(NetTestContext.Namespace!.Inode));
        return value * value;
    }

    [Test]
    public void Without_the_attribute_a_test_runs_in_the_root_namespace()
    {
        Assert.That(NetTestContext.Namespace, Is.Null);
        Assert.That(Membership.Current, Is.EqualTo(Membership.RootInode));
    }
}
