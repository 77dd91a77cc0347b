using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using FluentAssertions.Execution;
using Isolated.Net.Testing;
using Xunit;
using Xunit.Sdk;

namespace Isolated.Net.FluentAssertions.Tests;

public sealed class ReachTests
{
    private static readonly NetworkProbe ShortTcp = NetworkProbe.Tcp with { Timeout = TimeSpan.FromMilliseconds(300) };
    private static readonly NetworkProbe ShortUdp = NetworkProbe.Udp with { Timeout = TimeSpan.FromMilliseconds(300) };

    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void Tcp_reach_passes_when_the_handshake_completes(AddressFamily family)
    {
        using var net = Networks.Lan();
        using var listener = net["server"].Listen(new IPEndPoint(IPAddress.IPv6Any, 7001));

        net["client"].Should().Reach(net["server"], 7001, NetworkProbe.Tcp with { AddressFamily = family });
    }

    // Without a family the probe connects as programs do by name: the topology's order, then the other family.
    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void Tcp_reach_without_a_family_passes_for_a_listener_on_one_family_only(AddressFamily listening)
    {
        using var net = Networks.Lan();
        using var listener = net["server"].Listen(new IPEndPoint(net.AddressOf("server", listening), 7001));

        net["client"].Should().Reach(net["server"], 7001);
    }

    [PrivilegedFact]
    public void Tcp_reach_fails_with_ECONNREFUSED_when_nothing_listens()
    {
        using var net = Networks.Lan();

        var error = Assert.Throws<XunitException>(() => net["client"].Should().Reach(net["server"], 7001));

        Assert.Equal(
            "Expected host 'client' (10.0.1.2) to reach host 'server' (10.0.1.1) on TCP port 7001, "
            + "but the TCP connect failed with ECONNREFUSED (Connection refused).",
            error.Message);
    }

    [PrivilegedFact]
    public void Tcp_not_reach_passes_when_refused_and_fails_with_the_handshake_time_when_a_listener_answers()
    {
        using var net = Networks.Lan();
        net["client"].Should().NotReach(net["server"], 7001);

        using var listener = net["server"].Listen(new IPEndPoint(IPAddress.Any, 7001));
        var error = Assert.Throws<XunitException>(() => net["client"].Should().NotReach(net["server"], 7001, "the {0} must be closed", "port"));

        Assert.Matches(
            @"^Expected host 'client' \(10\.0\.1\.2\) not to reach host 'server' \(10\.0\.1\.1\) on TCP port 7001 because the port must be closed, "
            + @"but a TCP handshake completed in \d+\.\d ms\.$",
            error.Message);
    }

    [PrivilegedFact]
    public void Tcp_reach_fails_with_ENETUNREACH_without_a_route()
    {
        using var net = Networks.RoutedWithoutRoutes();

        var error = Assert.Throws<XunitException>(() => net["a"].Should().Reach(net["b"], 80));

        Assert.Equal(
            "Expected host 'a' (10.0.1.2) to reach host 'b' (10.0.2.2) on TCP port 80, "
            + "but the TCP connect failed with ENETUNREACH (Network is unreachable).",
            error.Message);
        net["a"].Should().NotReach(net["b"], 80, NetworkProbe.Udp);
    }

    [PrivilegedFact]
    public void Tcp_reach_fails_with_EHOSTUNREACH_on_an_unreachable_route()
    {
        using var net = Networks.Lan();
        using var listener = net["server"].Listen(new IPEndPoint(IPAddress.Any, 7001));
        Networks.Ip(net["client"], "route", "add", "unreachable", "10.0.1.1/32");

        var error = Assert.Throws<XunitException>(() => net["client"].Should().Reach(net["server"], 7001));

        Assert.Equal(
            "Expected host 'client' (10.0.1.2) to reach host 'server' (10.0.1.1) on TCP port 7001, "
            + "but the TCP connect failed with EHOSTUNREACH (No route to host).",
            error.Message);
    }

    [PrivilegedFact]
    public void Tcp_reach_fails_with_a_timeout_when_the_link_is_down()
    {
        using var net = Networks.Pair();
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7001));
        net["a"].Should().Reach(net["b"], 7001);
        Networks.Ip(net["b"], "link", "set", "eth0", "down");

        var error = Assert.Throws<XunitException>(() => net["a"].Should().Reach(net["b"], 7001, ShortTcp));

        Assert.Equal(
            "Expected host 'a' (10.0.1.1) to reach host 'b' (10.0.1.2) on TCP port 7001, but no TCP handshake within 300 ms (timeout).",
            error.Message);
        net["a"].Should().NotReach(net["b"], 7001, ShortTcp);
    }

    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public void Udp_reach_passes_when_the_datagram_arrives_at_the_socket_bound_in_the_target(AddressFamily family)
    {
        using var net = Networks.Lan();

        net["client"].Should().Reach(net["server"], 5353, NetworkProbe.Udp with { AddressFamily = family })
            .And.Reach(net["server"], 5353, NetworkProbe.Udp with { AddressFamily = family }, "the probe socket is closed after each check");
        net["server"].Should().Reach(net["client"], 5353, NetworkProbe.Udp with { AddressFamily = family });
    }

    [PrivilegedFact]
    public void Udp_not_reach_fails_when_the_datagram_arrives()
    {
        using var net = Networks.Lan();

        var error = Assert.Throws<XunitException>(() => net["client"].Should().NotReach(net["server"], 5353, NetworkProbe.Udp with { AddressFamily = AddressFamily.InterNetworkV6 }));

        Assert.Matches(
            @"^Expected host 'client' \(fd7a:15e:0:1::2\) not to reach host 'server' \(fd7a:15e:0:1::1\) on UDP port 5353, "
            + @"but the probe datagram arrived in \d+\.\d ms\.$",
            error.Message);
    }

    [PrivilegedFact]
    public void Udp_reach_fails_with_a_timeout_when_the_link_is_down_and_with_ENETUNREACH_without_a_route()
    {
        using (var net = Networks.Pair())
        {
            Networks.Ip(net["b"], "link", "set", "eth0", "down"); // a keeps its route, its frames vanish

            var error = Assert.Throws<XunitException>(() => net["a"].Should().Reach(net["b"], 5353, ShortUdp));

            Assert.Equal(
                "Expected host 'a' (10.0.1.1) to reach host 'b' (10.0.1.2) on UDP port 5353, but no probe datagram arrived within 300 ms (timeout).",
                error.Message);
        }
        using (var routed = Networks.RoutedWithoutRoutes())
        {
            var error = Assert.Throws<XunitException>(() => routed["a"].Should().Reach(routed["b"], 5353, ShortUdp));

            Assert.Equal(
                "Expected host 'a' (10.0.1.2) to reach host 'b' (10.0.2.2) on UDP port 5353, "
                + "but connecting the UDP probe socket failed with ENETUNREACH (Network is unreachable).",
                error.Message);
        }
    }

    [PrivilegedFact]
    public void Udp_reach_refuses_a_port_a_socket_of_the_test_holds_in_the_target()
    {
        using var net = Networks.Lan();
        using var held = net["server"].CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        held.Bind(new IPEndPoint(IPAddress.Any, 5353));

        var error = Assert.Throws<InvalidOperationException>(() => net["client"].Should().Reach(net["server"], 5353, NetworkProbe.Udp));

        Assert.Contains("binds its own socket to 10.0.1.1:5353 inside host 'server'", error.Message, StringComparison.Ordinal);
        Assert.Contains("EADDRINUSE", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task Async_forms_probe_without_blocking_and_report_the_same_way()
    {
        await using var net = Networks.Lan();
        using var listener = net["server"].Listen(new IPEndPoint(IPAddress.Any, 7001));

        await net["client"].Should().ReachAsync(net["server"], 7001);
        await net["client"].Should().NotReachAsync(net["server"], 7002);
        await net["client"].Should().ReachAsync(net["server"], 7002, NetworkProbe.Udp);
        var error = await Assert.ThrowsAsync<XunitException>(() => net["client"].Should().ReachAsync(net["server"], 7002));
        Assert.EndsWith("but the TCP connect failed with ECONNREFUSED (Connection refused).", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void An_assertion_scope_collects_every_failed_probe()
    {
        using var net = Networks.Lan();

        var error = Assert.Throws<XunitException>(() =>
        {
            using var scope = new AssertionScope();
            net["client"].Should().Reach(net["server"], 7001);
            net["server"].Should().Reach(net["client"], 7002);
        });

        Assert.Contains("host 'server' (10.0.1.1) on TCP port 7001", error.Message, StringComparison.Ordinal);
        Assert.Contains("host 'client' (10.0.1.2) on TCP port 7002", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Bad_arguments_are_rejected_before_any_probe()
    {
        using var net = Networks.Lan();
        using var other = Networks.Lan();

        Assert.Throws<ArgumentOutOfRangeException>(() => net["client"].Should().Reach(net["server"], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => net["client"].Should().Reach(net["server"], 65536));
        Assert.Throws<ArgumentNullException>(() => net["client"].Should().Reach(null!, 80));
        var error = Assert.Throws<ArgumentException>(() => net["client"].Should().Reach(other["server"], 80));
        Assert.Contains("belongs to another topology", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_settings_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkProbe.Tcp with { Timeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkProbe.Tcp with { Timeout = Timeout.InfiniteTimeSpan });
        Assert.Throws<ArgumentOutOfRangeException>(() => NetworkProbe.Udp with { AddressFamily = AddressFamily.Unix });
        var probe = NetworkProbe.Udp with { Timeout = TimeSpan.FromSeconds(1), AddressFamily = AddressFamily.InterNetworkV6 };
        Assert.Equal(ProbeProtocol.Udp, probe.Protocol);
        Assert.Equal(NetworkProbe.DefaultTimeout, NetworkProbe.Tcp.Timeout);
        Assert.Equal(AddressFamily.Unspecified, NetworkProbe.Tcp.AddressFamily);
    }
}
