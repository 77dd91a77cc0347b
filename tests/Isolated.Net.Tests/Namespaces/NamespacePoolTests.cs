using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Isolated.Net.Tests.Topology;
using Xunit;

namespace Isolated.Net.Tests.Namespaces;

public sealed class NamespacePoolTests
{
    [Fact]
    public void Sizes_outside_1_to_256_are_refused_before_anything_starts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NamespacePool(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NamespacePool(257));
    }

    [PrivilegedFact]
    public void A_pool_is_refused_inside_a_namespace()
    {
        using var ns = NetworkNamespace.Create();
        var error = ns.Run(() => Assert.Throws<InvalidOperationException>(() => new NamespacePool(1)));
        Assert.Contains("outside any network namespace", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Taken_namespaces_are_fresh_distinct_and_never_handed_out_twice()
    {
        using var pool = new NamespacePool(2);
        WaitFull(pool);
        var taken = new List<NetworkNamespace>();
        try
        {
            // Twice the pool's size: the first ones are pooled, the rest made on demand or refilled.
            for (int i = 0; i < 4; i++)
            {
                taken.Add(pool.Take());
            }
            Assert.Equal(4, taken.Select(ns => ns.Inode).Distinct().Count());
            foreach (var ns in taken)
            {
                Assert.True(ns.IsOwned);
                var lo = Assert.Single(Oracle.IpJson(ns, "link", "show").EnumerateArray());
                Assert.Equal("lo", lo.GetProperty("ifname").GetString());
                Assert.Contains("UP", lo.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
                // Prepared as a topology host is: no duplicate address detection.
                var (code, dad, _) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "cat", "/proc/sys/net/ipv6/conf/all/accept_dad", "/proc/sys/net/ipv6/conf/default/accept_dad");
                Assert.Equal(0, code);
                Assert.Equal(["0", "0"], dad.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        }
        finally
        {
            foreach (var ns in taken)
            {
                ns.Dispose();
            }
        }
        // What the pool holds now was made after the takes, and is never one of those.
        WaitFull(pool);
        var next = pool.Take();
        using (next)
        {
            Assert.DoesNotContain(next.Inode, taken.Select(ns => ns.Inode));
        }
    }

    [PrivilegedFact]
    public void Disposing_the_pool_releases_the_namespaces_nobody_took()
    {
        var pool = new NamespacePool(3);
        WaitFull(pool);
        var held = pool.ReadyInodes().Select(inode => $"net:[{inode}]").ToList();
        Assert.Equal(3, held.Count);
        // Each is held by this process, by an fd or a thread (the kernel's view, not the pool's).
        Assert.Subset(ForeignNamespacesOfThisProcess(), held.ToHashSet());
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.Take());
        // Each released namespace's thread exits on its own; give it the time a busy machine needs.
        SpinWait.SpinUntil(() => !ForeignNamespacesOfThisProcess().Intersect(held).Any(), TimeSpan.FromSeconds(40));
        Assert.Empty(ForeignNamespacesOfThisProcess().Intersect(held));
    }

    [PrivilegedFact]
    public async Task A_topology_built_from_a_pool_uses_its_namespaces_and_routes_through_its_router()
    {
        using var pool = new NamespacePool(4);
        WaitFull(pool);
        var pooled = pool.ReadyInodes().ToHashSet();
        await using var net = TopologyTests.RoutedBuilder().UsePool(pool).Build();
        // Three hosts and the hub: all four came from the pool.
        Assert.Subset(pooled, net.Hosts.Select(h => h.Namespace.Inode).ToHashSet());
        // The router was pooled like any host, then given forwarding: traffic crosses it both ways.
        Assert.Equal("pooled", await TopologyTests.TcpEchoAsync(net["a"], net["b"], net.AddressOf("b"), "pooled"));
        Assert.Equal("pooled v6", await TopologyTests.TcpEchoAsync(net["a"], net["b"], net.AddressOf("b", AddressFamily.InterNetworkV6), "pooled v6"));
        var (_, forwarding, _) = Oracle.Exec("nsenter", "--net=" + net["r"].Namespace.ProcPath, "cat", "/proc/sys/net/ipv4/ip_forward");
        Assert.Equal("1", forwarding.Trim());
        var (_, notForwarding, _) = Oracle.Exec("nsenter", "--net=" + net["a"].Namespace.ProcPath, "cat", "/proc/sys/net/ipv4/ip_forward");
        Assert.Equal("0", notForwarding.Trim());
    }

    [PrivilegedFact]
    public async Task An_empty_pool_still_builds_by_creating_directly()
    {
        using var pool = new NamespacePool(1);
        WaitFull(pool);
        // Five hosts and a hub from a pool of one: one pooled, the rest made as without a pool.
        var builder = new TopologyBuilder().AddSwitch("lan");
        for (int i = 0; i < 5; i++)
        {
            builder = builder.AddHost("h" + i).Connect("h" + i, "lan");
        }
        await using var net = builder.UsePool(pool).Build();
        Assert.Equal(5, net.Hosts.Select(h => h.Namespace.Inode).Distinct().Count());
        Assert.Equal("five", await TopologyTests.TcpEchoAsync(net["h0"], net["h4"], net.AddressOf("h4"), "five"));
    }

    private static void WaitFull(NamespacePool pool)
    {
        SpinWait.SpinUntil(() => pool.Available == pool.Size, TimeSpan.FromSeconds(30));
        Assert.True(pool.Available == pool.Size, $"the pool made {pool.Available} of {pool.Size} namespaces in 30 s; last failure: {pool.LastFailure}");
    }

    // The network namespaces this process holds, by a thread inside or an open fd, other than its own.
    private static HashSet<string> ForeignNamespacesOfThisProcess()
    {
        var own = new FileInfo("/proc/self/ns/net").LinkTarget;
        var found = new HashSet<string>();
        var links = Directory.GetDirectories("/proc/self/task").Select(task => Path.Combine(task, "ns", "net"))
            .Concat(Directory.GetFiles("/proc/self/fd"));
        foreach (var link in links)
        {
            try
            {
                if (new FileInfo(link).LinkTarget is { } target && target.StartsWith("net:[", StringComparison.Ordinal) && target != own)
                {
                    found.Add(target);
                }
            }
            catch (IOException)
            {
                // the thread exited meanwhile
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
