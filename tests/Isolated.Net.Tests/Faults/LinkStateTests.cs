using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

public sealed class LinkStateTests
{
    private static string RoutesOf(NetHost host) =>
        // Link-local (fe80::/64) routes are the kernel's own, re-added asynchronously after "up".
        string.Join("\n", host.Namespace.GetRoutes().Where(r => !r.Destination.BaseAddress.IsIPv6LinkLocal).Select(r => $"{r.Destination} via {r.Gateway} dev {r.OutputInterfaceName} metric {r.Metric} proto {r.Protocol}").Order(StringComparer.Ordinal));

    private static string AddressesOf(NetHost host) =>
        string.Join("\n", host.Namespace.GetAddresses().Where(a => !a.Address.IsIPv6LinkLocal).Select(a => $"{a.InterfaceName} {a.Address}/{a.PrefixLength}").Order(StringComparer.Ordinal));

    [PrivilegedFact]
    public async Task Link_down_cuts_both_ways_and_up_restores_addresses_and_routes()
    {
        await using var net = new TopologyBuilder()
            .AddHost("a").AddRouter("r").AddHost("b")
            .Link("a", "r").Link("r", "b")
            .Build();
        var (routesBefore, addressesBefore) = (RoutesOf(net["a"]), AddressesOf(net["a"]));
        var link = net.GetLink("a", "r");
        var b = net.AddressOf("b");
        var b6 = net.AddressOf("b", AddressFamily.InterNetworkV6);
        Assert.Equal(5, (await UdpRoundAsync(net["a"], net["b"], b, 5)).Count);

        link.SetDown();
        Assert.True(link.IsDown);
        Assert.False(net.IpLinkIsUp("a", "eth0"));
        Assert.False(net.IpLinkIsUp("r", "eth0"));
        var error = await Assert.ThrowsAsync<SocketException>(() => net["a"].ConnectTcpAsync(b.ToString(), 7000));
        Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode); // the default route went with the link

        link.SetUp();
        Assert.False(link.IsDown);
        Assert.Equal(addressesBefore, AddressesOf(net["a"]));
        Assert.Equal(routesBefore, RoutesOf(net["a"]));
        Assert.Equal(5, (await UdpRoundAsync(net["a"], net["b"], b, 5)).Count);
        // IPv6 over TCP: its SYN retries ride out the neighbour discovery that follows an interface
        // coming up (the first IPv6 packets can wait a few seconds on a loaded machine, as on a new topology).
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.IPv6Any, 7002));
        using var client = await net["a"].ConnectTcpAsync(b6.ToString(), 7002);
        using var server = await listener.AcceptAsync();
        Assert.Equal("v6 after up", await TransferAsync(client, server, "v6 after up", TimeSpan.FromSeconds(15)));
    }

    [PrivilegedFact]
    public async Task One_end_down_leaves_the_other_up_without_carrier_and_stalls_TCP_until_up()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.IPv6Any, 7000));
        using var client = await net["a"].ConnectTcpAsync("b", 7000);
        using var server = await listener.AcceptAsync();
        var link = net.GetLink("a", "b");

        link.Second.SetDown();
        Assert.True(link.Second.IsDown);
        Assert.False(link.First.IsDown);
        var flags = Oracle.IpJson(net["a"].Namespace, "link", "show", "dev", "eth0")[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("UP", flags);
        Assert.Contains("NO-CARRIER", flags);
        var during = TransferAsync(client, server, "while down", TimeSpan.FromSeconds(30));
        Assert.NotSame(during, await Task.WhenAny(during, Task.Delay(TimeSpan.FromSeconds(1.5))));

        link.Second.SetUp();
        Assert.Equal("while down", await during);
        Assert.Equal("UP", Oracle.IpJson(net["a"].Namespace, "link", "show", "dev", "eth0")[0].GetProperty("operstate").GetString());
    }

    [PrivilegedFact]
    public async Task Clear_faults_brings_every_interface_back()
    {
        await using var net = new TopologyBuilder().AddSwitch("lan").AddHost("a").Connect("a", "lan").AddHost("b").Connect("b", "lan").Build();
        net["a"].Interfaces[0].SetDown();
        net["a"].Interfaces[0].SetDown(); // idempotent: the first snapshot is kept
        var unreachable = await Assert.ThrowsAsync<SocketException>(() => UdpRoundAsync(net["a"], net["b"], net.AddressOf("b"), 3));
        Assert.Equal(SocketError.NetworkUnreachable, unreachable.SocketErrorCode); // its only interface is down
        net.ClearFaults();
        Assert.False(net["a"].Interfaces[0].IsDown);
        Assert.Equal(3, (await UdpRoundAsync(net["a"], net["b"], net.AddressOf("b", AddressFamily.InterNetworkV6), 3)).Count);
    }
}

internal static class LinkStateOracle
{
    /// <summary>IFF_UP of a host's interface, as `ip -j link show` reports it.</summary>
    public static bool IpLinkIsUp(this Isolated.Net.Topology topology, string host, string device) =>
        Oracle.IpJson(topology[host].Namespace, "link", "show", "dev", device)[0].GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP");
}
