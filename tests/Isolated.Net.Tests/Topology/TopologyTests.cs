using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Topology;

public sealed class TopologyTests
{
    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Two_hosts_on_a_link_exchange_TCP_and_UDP_both_ways(AddressFamily family)
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();

        foreach (var (from, to) in new[] { ("a", "b"), ("b", "a") })
        {
            var target = net.AddressOf(to, family);
            Assert.Equal("tcp " + from + "->" + to, await TcpEchoAsync(net[from], net[to], target, "tcp " + from + "->" + to));
            Assert.Equal("udp " + from + "->" + to, await UdpEchoAsync(net[from], net[to], target, "udp " + from + "->" + to));
        }
    }

    [PrivilegedFact]
    public async Task Five_hosts_on_a_switch_reach_every_other_host()
    {
        var builder = new TopologyBuilder().AddSwitch("lan");
        for (int i = 1; i <= 5; i++)
        {
            builder = builder.AddHost("h" + i).Connect("h" + i, "lan");
        }
        await using var net = builder.Build();

        foreach (var server in net.Hosts)
        {
            using var listener = server.Listen(new IPEndPoint(IPAddress.IPv6Any, 7000));
            foreach (var client in net.Hosts.Where(h => h != server))
            {
                foreach (var family in new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 })
                {
                    using var socket = await client.ConnectTcpAsync(net.AddressOf(server.Name, family).ToString(), 7000);
                    using var accepted = await listener.AcceptAsync();
                    var remote = (IPEndPoint)accepted.RemoteEndPoint!;
                    var expected = net.AddressOf(client.Name, family);
                    Assert.Equal(family == AddressFamily.InterNetwork ? expected.MapToIPv6() : expected, remote.Address);
                }
            }
        }
    }

    [PrivilegedFact]
    public async Task Two_subnets_joined_by_a_router_are_reachable()
    {
        await using var net = RoutedBuilder().Build();
        var server = net["b"];
        var target = net.AddressOf("b");
        Assert.StartsWith("10.0.2.", target.ToString(), StringComparison.Ordinal);
        Assert.Equal("via router", await TcpEchoAsync(net["a"], server, target, "via router"));
        Assert.Equal("via router v6", await TcpEchoAsync(net["a"], server, net.AddressOf("b", AddressFamily.InterNetworkV6), "via router v6"));
    }

    [PrivilegedFact]
    public async Task Without_the_route_the_other_subnet_is_unreachable()
    {
        await using var net = RoutedBuilder().WithoutDefaultRoutes().Build();
        var error = await Assert.ThrowsAsync<SocketException>(() => net["a"].ConnectTcpAsync(net.AddressOf("b").ToString(), 7000));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
        Assert.Contains("(no default route)", net["a"].Describe(), StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task Twenty_topologies_with_identical_names_and_addresses_work_concurrently()
    {
        var builder = new TopologyBuilder().AddSwitch("lan").AddHost("server").Connect("server", "lan").AddHost("client").Connect("client", "lan");
        var topologies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(builder.Build)));
        try
        {
            Assert.All(topologies, t => Assert.Equal(IPAddress.Parse("10.0.1.1"), t.AddressOf("server")));
            var replies = await Task.WhenAll(topologies.Select((t, i) => TcpEchoAsync(t["client"], t["server"], t.AddressOf("server"), "topology " + i)));
            Assert.Equal(Enumerable.Range(0, 20).Select(i => "topology " + i), replies);
            Assert.Equal(20, topologies.Select(t => t["server"].Namespace.Inode).Distinct().Count());
        }
        finally
        {
            foreach (var t in topologies)
            {
                t.Dispose();
            }
        }
    }

    [PrivilegedFact]
    public async Task Build_matches_what_ip_shows_inside_the_namespaces()
    {
        await using var net = RoutedBuilder().Build();
        var a = net["a"];

        var links = Oracle.IpJson(a.Namespace, "link", "show").EnumerateArray().ToList();
        var eth0 = Assert.Single(links, l => l.GetProperty("ifname").GetString() == "eth0");
        Assert.Equal(2, eth0.GetProperty("ifindex").GetInt32());
        // Flags, not operstate: the kernel's linkwatch updates operstate up to a second later.
        Assert.Contains("UP", eth0.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("LOWER_UP", eth0.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(1500, eth0.GetProperty("mtu").GetInt32());

        var addrs = Oracle.IpJson(a.Namespace, "addr", "show", "dev", "eth0").EnumerateArray().Single()
            .GetProperty("addr_info").EnumerateArray()
            .Select(x => x.GetProperty("local").GetString() + "/" + x.GetProperty("prefixlen").GetInt32()).ToList();
        Assert.Contains("10.0.1.2/24", addrs);
        Assert.Contains("fd7a:15e:0:1::2/64", addrs);

        var routes = Oracle.IpJson(a.Namespace, "route", "show").EnumerateArray().ToList();
        var defaultRoute = Assert.Single(routes, r => r.GetProperty("dst").GetString() == "default");
        Assert.Equal("10.0.1.1", defaultRoute.GetProperty("gateway").GetString());
        Assert.Equal("eth0", defaultRoute.GetProperty("dev").GetString());

        var forwarding = Oracle.Exec("nsenter", "--net=" + net["r"].Namespace.ProcPath, "cat", "/proc/sys/net/ipv4/ip_forward").Stdout.Trim();
        Assert.Equal("1", forwarding);
        var notForwarding = Oracle.Exec("nsenter", "--net=" + a.Namespace.ProcPath, "cat", "/proc/sys/net/ipv4/ip_forward").Stdout.Trim();
        Assert.Equal("0", notForwarding);

        // The hub holds the bridges with one port per connected host, and nothing is in the root namespace.
        var hubLinks = Oracle.IpJson(net.Hub!, "link", "show").EnumerateArray().ToList();
        var bridge = Assert.Single(hubLinks, l => l.GetProperty("ifname").GetString() == "left");
        var ports = hubLinks.Where(l => l.TryGetProperty("master", out var m) && m.GetString() == "left").ToList();
        Assert.Equal(2, ports.Count);
        Assert.Contains("UP", bridge.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [PrivilegedFact]
    public void Describe_lists_every_host_with_addresses_and_routes()
    {
        using var net = RoutedBuilder().Build();
        var text = net.Describe();
        Assert.Contains("switch left: 10.0.1.0/24 fd7a:15e:0:1::/64, ports r:eth0, a:eth0", text, StringComparison.Ordinal);
        Assert.Contains("router r (net:[" + net["r"].Namespace.Inode + "])", text, StringComparison.Ordinal);
        Assert.Contains("10.0.1.2/24 fd7a:15e:0:1::2/64", text, StringComparison.Ordinal);
        Assert.Contains("route default via 10.0.1.1 dev eth0", text, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Lookups_name_what_is_missing()
    {
        using var net = RoutedBuilder().Build();
        var error = Assert.Throws<KeyNotFoundException>(() => net["nobody"]);
        Assert.Contains("'r', 'a', 'b'", error.Message, StringComparison.Ordinal);
        Assert.Equal("eth1", net["r"].GetInterface("eth1").Name);
        Assert.Equal("right", net["r"].GetInterface("eth1").SegmentName);
    }

    // a (10.0.1.2) — left — r (10.0.1.1 | 10.0.2.1) — right — b (10.0.2.2); addresses follow connection order.
    internal static TopologyBuilder RoutedBuilder() => new TopologyBuilder()
        .AddSwitch("left").AddSwitch("right")
        .AddRouter("r").Connect("r", "left").Connect("r", "right")
        .AddHost("a").Connect("a", "left")
        .AddHost("b").Connect("b", "right");

    internal static async Task<string> TcpEchoAsync(NetHost client, NetHost server, IPAddress target, string message)
    {
        using var listener = server.Listen(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var serve = Task.Run(async () =>
        {
            using var connection = await listener.AcceptAsync();
            var buffer = new byte[1024];
            int n = await connection.ReceiveAsync(buffer);
            await connection.SendAsync(buffer.AsMemory(0, n));
        });
        using var socket = await client.ConnectTcpAsync(target.ToString(), port);
        await socket.SendAsync(Encoding.UTF8.GetBytes(message));
        var reply = new byte[1024];
        int read = await socket.ReceiveAsync(reply);
        await serve;
        return Encoding.UTF8.GetString(reply, 0, read);
    }

    internal static async Task<string> UdpEchoAsync(NetHost client, NetHost server, IPAddress target, string message)
    {
        using var receiver = server.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(target, 0));
        var endpoint = (IPEndPoint)receiver.LocalEndPoint!;
        using var sender = client.CreateSocket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        var buffer = new byte[1024];
        var receive = receiver.ReceiveFromAsync(buffer, new IPEndPoint(target.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
        await sender.SendToAsync(Encoding.UTF8.GetBytes(message), endpoint);
        var got = await receive.WaitAsync(TimeSpan.FromSeconds(30));
        await receiver.SendToAsync(buffer.AsMemory(0, got.ReceivedBytes), got.RemoteEndPoint);
        var reply = new byte[1024];
        var back = await sender.ReceiveAsync(reply).WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.UTF8.GetString(reply, 0, back);
    }
}

// Counts the process's namespace threads, so it must not run beside other tests.
[Collection(nameof(Isolated.Net.Tests.Namespaces.ProcessWideCounts))]
public sealed class TopologyBuildFailureTests
{
    [PrivilegedTheory]
    [InlineData("namespaces")]
    [InlineData("switches")]
    [InlineData("links")]
    [InlineData("addresses")]
    [InlineData("sysctls")]
    [InlineData("routes")]
    [InlineData("done")]
    public void A_failure_midway_through_Build_leaves_nothing_behind(string step)
    {
        var threadsBefore = Isolated.Net.Tests.Namespaces.NamespaceLifecycleCountTests.NamespaceThreadIds();
        int calls = 0;
        var builder = TopologyTests.RoutedBuilder().WithFailureInjection(s => s == step && ++calls == 1);

        var error = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains(step, error.Message, StringComparison.Ordinal);
        // A joined thread can linger in /proc/self/task for a moment after it returned.
        SpinWait.SpinUntil(() => !Isolated.Net.Tests.Namespaces.NamespaceLifecycleCountTests.NamespaceThreadIds().Except(threadsBefore).Any(), TimeSpan.FromSeconds(15));
        Assert.Empty(Isolated.Net.Tests.Namespaces.NamespaceLifecycleCountTests.NamespaceThreadIds().Except(threadsBefore));
    }
}
