using System.Net;
using System.Net.Sockets;
using Isolated.Net.Faults;
using Isolated.Net.Testing;
using Xunit;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

// NAT routers against real traffic: a LAN behind gw, the outside beyond it on wan. The outside host has
// no route back to the LAN (no default routes; only inner's explicit one through gw), so an answer
// reaches an inner host only because gw translated the connection. `nft list ruleset` inside gw is the
// oracle for what was installed. Only failure bounds: passing runs take milliseconds.
public sealed class NatRouterTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1.5);

    private static Isolated.Net.Topology BehindGateway() => new TopologyBuilder()
        .WithoutIPv6()
        .WithoutDefaultRoutes()
        .AddSwitch("lan").AddSwitch("wan")
        .AddHost("inner").Connect("inner", "lan")
        .AddRouter("gw").Connect("gw", "lan").Connect("gw", "wan")
        .AddHost("outer").Connect("outer", "wan")
        .AddRoute("inner", "default", "gw")
        .Build();

    private static HostInterface Wan(Isolated.Net.Topology net) => net["gw"].Interfaces.Single(i => i.SegmentName == "wan");

    private static async Task<bool> ConnectsWithinAsync(NetHost from, IPAddress to, int port, TimeSpan within)
    {
        using var socket = from.CreateSocket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(to, port), timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<IPAddress> PeerSeenByServerAsync(Isolated.Net.Topology net, Socket listener)
    {
        using var client = await net["inner"].ConnectTcpAsync(net.AddressOf("outer").ToString(), 7000).WaitAsync(Quick);
        using var server = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("through", await TransferAsync(client, server, "through", Quick));
        Assert.Equal("back", await TransferAsync(server, client, "back", Quick));
        return ((IPEndPoint)server.RemoteEndPoint!).Address;
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Behind_a_masquerading_router_the_server_sees_the_router_and_heal_keeps_the_nat()
    {
        await using var net = BehindGateway();
        using var listener = net["outer"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        var wan = Wan(net);
        // Without NAT the SYN arrives, but outer has no route to answer it.
        Assert.False(await ConnectsWithinAsync(net["inner"], net.AddressOf("outer"), 7000, Silence));

        net.Masquerade("gw", "wan");
        Assert.Equal(wan.IPv4!.Value.Address, await PeerSeenByServerAsync(net, listener));
        Assert.Contains($"oifname \"{wan.Name}\" masquerade", NftListRuleset(net["gw"].Namespace), StringComparison.Ordinal);
        Assert.Equal([$"gw masquerade oifname {wan.Name}"], net.ActiveNat);
        net.Masquerade("gw", "wan"); // again: nothing changes

        // A cut on the router shares its table with the NAT: outer's answers are dropped as gw forwards them.
        net.Cut("outer", "gw", new CutOptions { OneWay = true });
        string both = NftListRuleset(net["gw"].Namespace);
        Assert.Contains("masquerade", both, StringComparison.Ordinal);
        Assert.Contains($"ip saddr {net.AddressOf("outer")} drop", both, StringComparison.Ordinal);
        Assert.Single(both.Split('\n'), l => l.Trim().StartsWith("table ", StringComparison.Ordinal));
        Assert.False(await ConnectsWithinAsync(net["inner"], net.AddressOf("outer"), 7000, Silence));

        net.Heal();
        net.ClearFaults();
        Assert.Empty(net.ActiveCuts);
        string healed = NftListRuleset(net["gw"].Namespace);
        Assert.Contains("masquerade", healed, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", healed, StringComparison.Ordinal);
        Assert.Equal(wan.IPv4!.Value.Address, await PeerSeenByServerAsync(net, listener));
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task A_port_forward_takes_an_outside_client_to_the_inner_host_which_sees_the_client()
    {
        await using var net = BehindGateway();
        var outside = Wan(net).IPv4!.Value.Address;
        using var listener = net["inner"].Listen(new IPEndPoint(IPAddress.Any, 80));

        net.ForwardPort("gw", 8080, "inner", 80);
        net.ForwardPort("gw", 8080, "inner", 80); // the same again: nothing changes
        Assert.Equal(["gw tcp 8080 -> inner:80"], net.ActiveNat);
        Assert.Contains("nat: gw tcp 8080 -> inner:80", net.Describe(), StringComparison.Ordinal);
        Assert.Contains("dnat ip to", net["gw"].Describe(), StringComparison.Ordinal);
        Assert.Contains($"ip daddr {outside} tcp dport 8080 dnat ip to {net.AddressOf("inner")}:80", NftListRuleset(net["gw"].Namespace), StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => net.ForwardPort("gw", 8080, "outer", 81));

        using (var client = await net["outer"].ConnectTcpAsync(outside.ToString(), 8080).WaitAsync(Quick))
        using (var server = await listener.AcceptAsync().WaitAsync(Quick))
        {
            Assert.Equal(net.AddressOf("outer"), ((IPEndPoint)server.RemoteEndPoint!).Address);
            Assert.Equal("forwarded", await TransferAsync(client, server, "forwarded", Quick));
            Assert.Equal("answered", await TransferAsync(server, client, "answered", Quick));
        }

        // Isolating the inner host and healing it leaves the forward in place.
        net.Isolate("inner");
        Assert.False(await ConnectsWithinAsync(net["outer"], outside, 8080, Silence));
        net.Heal();
        using (var client = await net["outer"].ConnectTcpAsync(outside.ToString(), 8080).WaitAsync(Quick))
        using (var server = await listener.AcceptAsync().WaitAsync(Quick))
        {
            Assert.Equal("again", await TransferAsync(client, server, "again", Quick));
        }
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Nat_is_checked_before_the_kernel_is_touched()
    {
        await using var net = BehindGateway();
        Assert.Throws<KeyNotFoundException>(() => net.Masquerade("nope", "wan"));
        Assert.Throws<ArgumentException>(() => net.Masquerade("inner", "lan"));   // not a router
        var noSegment = Assert.Throws<ArgumentException>(() => net.Masquerade("gw", "dmz"));
        Assert.Contains("'wan'", noSegment.Message, StringComparison.Ordinal);     // names the segments it has
        Assert.Throws<KeyNotFoundException>(() => net.ForwardPort("gw", 80, "nope", 80));
        Assert.Throws<ArgumentException>(() => net.ForwardPort("outer", 80, "inner", 80));
        Assert.Throws<ArgumentException>(() => net.ForwardPort("gw", 80, "gw", 80));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ForwardPort("gw", 0, "inner", 80));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ForwardPort("gw", 80, "inner", 65536));
        Assert.Throws<ArgumentException>(() => net.ForwardPort("gw", 80, "inner", 80, ProtocolType.Icmp));
        Assert.Empty(net.ActiveNat);
        Assert.Equal("", NftListRuleset(net["gw"].Namespace));
    }

    [PrivilegedFact(Tools = "nft", NotRootless = ExternalTools.BpfFaultsNotRootless)]
    public async Task With_BPF_cuts_the_routers_table_holds_its_nat_alone_and_both_work()
    {
        await using var net = BehindGateway();
        net.Faults.PreferredMechanism = CutMechanism.Bpf;
        using var listener = net["outer"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        net.Masquerade("gw", "wan");

        net.Partition(["gw"], ["outer"]);
        Assert.Equal(CutMechanism.Bpf, net.Faults.Mechanism);
        string ruleset = NftListRuleset(net["gw"].Namespace);
        Assert.Contains("masquerade", ruleset, StringComparison.Ordinal);
        Assert.DoesNotContain("drop", ruleset, StringComparison.Ordinal); // the cut is the BPF filter's, not nftables'
        Assert.False(await ConnectsWithinAsync(net["inner"], net.AddressOf("outer"), 7000, Silence));

        net.Heal();
        Assert.Equal(Wan(net).IPv4!.Value.Address, await PeerSeenByServerAsync(net, listener));
    }
}
