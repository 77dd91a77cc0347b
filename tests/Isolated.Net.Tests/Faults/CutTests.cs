using System.Net;
using System.Net.Sockets;
using Isolated.Net.Faults;
using Isolated.Net.Testing;
using Xunit;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

// One-way, per-port and rejecting cuts (nftables): real traffic between hosts, `nft list ruleset` inside
// the receiving host as the oracle. Only failure bounds: passing runs take milliseconds.
public sealed class CutTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1.5);

    private static Isolated.Net.Topology TwoHosts() => new TopologyBuilder()
        .AddSwitch("lan")
        .AddHost("a").Connect("a", "lan")
        .AddHost("b").Connect("b", "lan")
        .Build();

    [PrivilegedTheory(Tools = "nft")]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_one_way_cut_loses_what_a_sends_b_and_delivers_what_b_sends_a(AddressFamily family)
    {
        await using var net = TwoHosts();
        net.Cut("a", "b", new CutOptions { OneWay = true });

        Assert.Equal(["a -> b drop"], net.ActiveCuts);
        Assert.True(net.AreSeparated("b", "a"));
        Assert.Empty(await UdpRoundAsync(net["a"], net["b"], net.AddressOf("b", family), 10));
        // The open direction, IPv6 neighbour discovery included (b must learn a's link-layer address).
        Assert.Equal(10, (await UdpRoundAsync(net["b"], net["a"], net.AddressOf("a", family), 10)).Count);
        Assert.Equal("", NftListRuleset(net["a"].Namespace)); // the cut is enforced where it arrives

        net.Heal();
        Assert.Empty(net.ActiveCuts);
        Assert.Equal(10, (await UdpRoundAsync(net["a"], net["b"], net.AddressOf("b", family), 10)).Count);
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Reject_refuses_a_connect_at_once_where_drop_leaves_it_hanging()
    {
        await using var net = TwoHosts();
        var b = net.AddressOf("b");
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));

        net.Cut("a", "b", new CutOptions { Mode = CutMode.Reject });
        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(net["a"], b, 7000, Quick));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Contains($"ip saddr {net.AddressOf("a")} meta l4proto tcp reject with tcp reset", NftListRuleset(net["b"].Namespace), StringComparison.Ordinal);
        // The other way is cut too (not one way): b's datagrams to a are answered with an ICMP error, not delivered.
        Assert.Empty(await UdpRoundAsync(net["b"], net["a"], net.AddressOf("a"), 5));

        net.Heal();
        net.Cut("a", "b"); // Drop
        var hanging = ConnectAsync(net["a"], b, 7000, TimeSpan.FromSeconds(60));
        Assert.NotSame(hanging, await Task.WhenAny(hanging, Task.Delay(Silence)));

        net.Heal();
        using var connected = await hanging; // the SYN retransmitted after the heal gets through
        Assert.True(connected.Connected);
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task A_port_cut_stops_one_service_and_leaves_the_next_port_alone()
    {
        await using var net = TwoHosts();
        var b = net.AddressOf("b");
        using var replication = net["b"].Listen(new IPEndPoint(IPAddress.Any, 5432));
        using var clients = net["b"].Listen(new IPEndPoint(IPAddress.Any, 5433));

        net.Cut("a", "b", new CutOptions { OneWay = true, Protocol = ProtocolType.Tcp, Port = 5432 });
        Assert.Equal(["a -> b tcp dport 5432 drop"], net.ActiveCuts);
        Assert.False(net.AreSeparated("a", "b")); // not a whole cut

        var blocked = ConnectAsync(net["a"], b, 5432, TimeSpan.FromSeconds(60));
        using (var open = await ConnectAsync(net["a"], b, 5433, Quick))
        {
            Assert.True(open.Connected);
        }
        Assert.NotSame(blocked, await Task.WhenAny(blocked, Task.Delay(Silence)));
        Assert.Contains($"ip saddr {net.AddressOf("a")} tcp dport 5432 drop", NftListRuleset(net["b"].Namespace), StringComparison.Ordinal);

        net.ClearFaults();
        using var healed = await blocked;
        Assert.Equal("", NftListRuleset(net["b"].Namespace));
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task An_exception_lets_one_port_through_a_cut_and_heal_removes_both()
    {
        await using var net = TwoHosts();
        var b = net.AddressOf("b");
        using var database = net["b"].Listen(new IPEndPoint(IPAddress.Any, 5432));
        using var admin = net["b"].Listen(new IPEndPoint(IPAddress.Any, 5433));

        net.Cut("a", "b");
        net.Allow("a", "b", ProtocolType.Tcp, 5432);
        Assert.Equal(["a -> b drop", "b -> a drop", "a -> b tcp dport 5432 allow"], net.ActiveCuts);

        // The allowed port works both ways of the connection (b's answers come from 5432)...
        using (var client = await ConnectAsync(net["a"], b, 5432, Quick))
        using (var server = await database.AcceptAsync())
        {
            Assert.Equal("query", await TransferAsync(client, server, "query", Quick));
            Assert.Equal("rows", await TransferAsync(server, client, "rows", Quick));
        }
        // ...while the next port and UDP stay cut.
        var blocked = ConnectAsync(net["a"], b, 5433, TimeSpan.FromSeconds(60));
        Assert.NotSame(blocked, await Task.WhenAny(blocked, Task.Delay(Silence)));
        Assert.Empty(await UdpRoundAsync(net["a"], net["b"], b, 5));
        Assert.Contains($"ip saddr {net.AddressOf("a")} tcp dport 5432 accept", NftListRuleset(net["b"].Namespace), StringComparison.Ordinal);
        Assert.Contains($"ip saddr {b} tcp sport 5432 accept", NftListRuleset(net["a"].Namespace), StringComparison.Ordinal);

        net.Heal();
        Assert.Empty(net.ActiveCuts);
        using var healed = await blocked;
        Assert.Equal("", NftListRuleset(net["a"].Namespace));
        Assert.Equal("", NftListRuleset(net["b"].Namespace));
        Assert.Throws<ArgumentException>(() => net.Allow("a", "a"));
        Assert.Throws<ArgumentException>(() => net.Allow("a", "b", port: 80));
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Isolating_with_reject_resets_an_open_connection_on_its_next_segment()
    {
        await using var net = TwoHosts();
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        using var client = await ConnectAsync(net["a"], net.AddressOf("b"), 7000, Quick);
        using var server = await listener.AcceptAsync();
        Assert.Equal("before", await TransferAsync(client, server, "before", Quick));

        net.Isolate("b", CutMode.Reject);
        await client.SendAsync("during"u8.ToArray());
        // b answers the segment with a reset: a's next read fails at once instead of hanging.
        var reset = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var timeout = new CancellationTokenSource(Quick);
            await client.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token);
        });
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Describe_names_the_mechanism_and_each_hosts_rules_in_nft_words()
    {
        await using var net = TwoHosts();
        net.Cut("a", "b", new CutOptions { OneWay = true, Protocol = ProtocolType.Udp, Port = 53, Mode = CutMode.Reject });
        string description = net.Describe();
        Assert.Contains("cuts (nftables, a table per host): a -> b udp dport 53 reject", description, StringComparison.Ordinal);
        Assert.Contains("udp dport 53 reject", description, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [PrivilegedFact(Tools = "nft", NotRootless = ExternalTools.BpfFaultsNotRootless)]
    public async Task Bad_cuts_are_refused_before_anything_changes()
    {
        await using var net = TwoHosts();
        Assert.Throws<ArgumentException>(() => net.Cut("a", "a"));
        Assert.Throws<ArgumentException>(() => net.Cut("a", "b", new CutOptions { Port = 80 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Cut("a", "b", new CutOptions { Protocol = ProtocolType.Tcp, Port = 70000 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => net.Cut("a", "b", new CutOptions { Protocol = ProtocolType.Igmp }));
        Assert.Throws<ArgumentException>(() => net.Cut([], ["b"]));
        Assert.Throws<KeyNotFoundException>(() => net.Cut("a", "z"));

        // A topology cutting with the BPF filter cannot reject: said before the filter changes anything.
        net.Faults.PreferredMechanism = CutMechanism.Bpf;
        net.Cut("a", "b");
        var refused = Assert.Throws<NotSupportedException>(() => net.Cut("a", "b", new CutOptions { Mode = CutMode.Reject }));
        Assert.Contains("nftables", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["a -> b drop", "b -> a drop"], net.ActiveCuts);
        net.Heal();
        Assert.Empty(net.ActiveCuts);
        Assert.Equal("", NftListRuleset(net["b"].Namespace));
        Assert.Equal(["noqueue"], QdiscKinds(net["b"].Namespace, "eth0"));
    }

    // A TCP connect from inside the host to an address (no name resolution, no fallback), with a failure bound.
    private static async Task<Socket> ConnectAsync(NetHost from, IPAddress to, int port, TimeSpan within)
    {
        var socket = from.CreateSocket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(within);
            await socket.ConnectAsync(new IPEndPoint(to, port), timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
