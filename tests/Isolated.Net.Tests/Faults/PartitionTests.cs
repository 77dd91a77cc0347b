using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;
using Isolated.Net.Faults;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

public sealed class PartitionTests
{
    // How long a transfer that must succeed may take: only a failure bound (TCP retransmission backoff after a
    // heal, a busy machine), so generous; passing runs take milliseconds.
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1.5);

    private static Isolated.Net.Topology ThreeNodesOnASwitch(string mechanism = "nftables")
    {
        var net = new TopologyBuilder()
            .AddSwitch("lan")
            .AddHost("n1").Connect("n1", "lan")
            .AddHost("n2").Connect("n2", "lan")
            .AddHost("n3").Connect("n3", "lan")
            .Build();
        net.Faults.PreferredMechanism = Mechanism(mechanism); // both mechanisms are tested; users get the best one here
        return net;
    }

    private static CutMechanism Mechanism(string name) => name == "bpf" ? CutMechanism.Bpf : CutMechanism.Nftables;

    // The BPF case of each theory is a fact of its own: rootless it skips (bpf(2) is denied in a user
    // namespace), while the nftables case runs.
    [PrivilegedFact(Tools = "nft", NotRootless = ExternalTools.BpfFaultsNotRootless)]
    public Task A_partition_stalls_an_open_TCP_stream_and_heal_resumes_it_on_the_same_connection_with_bpf() =>
        A_partition_stalls_an_open_TCP_stream_and_heal_resumes_it_on_the_same_connection("bpf");

    [PrivilegedTheory(Tools = "nft")]
    [InlineData("nftables")]
    public async Task A_partition_stalls_an_open_TCP_stream_and_heal_resumes_it_on_the_same_connection(string mechanism)
    {
        await using var net = ThreeNodesOnASwitch(mechanism);
        using var listener = net["n3"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        using var client = await net["n1"].ConnectTcpAsync("n3", 7000);
        using var server = await listener.AcceptAsync();
        Assert.Equal("before", await TransferAsync(client, server, "before", Quick));

        net.Partition(["n1", "n2"], ["n3"]);
        Assert.True(net.AreSeparated("n1", "n3"));
        Assert.True(net.AreSeparated("n3", "n2"));
        Assert.False(net.AreSeparated("n1", "n2"));

        // The stream stalls: the bytes are sent (queued, retransmitted) but never arrive; nothing resets.
        var during = TransferAsync(client, server, "during", TimeSpan.FromSeconds(30));
        Assert.NotSame(during, await Task.WhenAny(during, Task.Delay(Silence)));
        Assert.True(client.Connected);

        // The oracle: n3 drops what n1 and n2 send it (a table of its own, or the fault filter on its
        // interface); n1 and n2 talk as before.
        if (mechanism == "nftables")
        {
            var rules = NftListRuleset(net["n3"].Namespace);
            Assert.Contains("table inet isolated_net", rules, StringComparison.Ordinal);
            Assert.Contains($"ip saddr {net.AddressOf("n1")} drop", rules, StringComparison.Ordinal);
            Assert.Contains($"ip6 saddr {net.AddressOf("n2", AddressFamily.InterNetworkV6)} drop", rules, StringComparison.Ordinal);
            Assert.Equal(["noqueue"], QdiscKinds(net["n3"].Namespace, "eth0"));
        }
        else
        {
            Assert.Contains("isonet_fault", IngressFilters(net["n3"].Namespace, "eth0"), StringComparison.Ordinal);
            Assert.Contains("direct-action", IngressFilters(net["n3"].Namespace, "eth0"), StringComparison.Ordinal);
            Assert.Equal(["noqueue", "clsact"], QdiscKinds(net["n3"].Namespace, "eth0"));
            Assert.Equal("", NftListRuleset(net["n3"].Namespace));
        }
        Assert.Equal(Mechanism(mechanism), net.Faults.Mechanism);
        using (var n2Listener = net["n2"].Listen(new IPEndPoint(IPAddress.Any, 7001)))
        using (var n1ToN2 = await net["n1"].ConnectTcpAsync("n2", 7001))
        using (var n2Side = await n2Listener.AcceptAsync())
        {
            Assert.Equal("same side", await TransferAsync(n1ToN2, n2Side, "same side", Quick));
        }

        net.Heal();
        Assert.False(net.AreSeparated("n1", "n3"));
        Assert.Equal("during", await during); // TCP's retransmission delivers it: the same connection resumed
        Assert.Equal("after", await TransferAsync(client, server, "after", Quick));
        Assert.Equal("reply", await TransferAsync(server, client, "reply", Quick));

        // Healed means clean: no table, no filter, no clsact left.
        Assert.Equal(["noqueue"], QdiscKinds(net["n3"].Namespace, "eth0"));
        Assert.Equal(["noqueue"], QdiscKinds(net["n1"].Namespace, "eth0"));
        Assert.Equal("", NftListRuleset(net["n3"].Namespace));
        Assert.Equal("", NftListRuleset(net["n1"].Namespace));
    }

    [PrivilegedTheory(NotRootless = ExternalTools.BpfFaultsNotRootless)]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public Task UDP_across_a_partition_is_lost_and_flows_again_after_heal_with_bpf(AddressFamily family) =>
        UDP_across_a_partition_is_lost_and_flows_again_after_heal(family, "bpf");

    [PrivilegedTheory]
    [InlineData(AddressFamily.InterNetwork, "nftables")]
    [InlineData(AddressFamily.InterNetworkV6, "nftables")]
    public async Task UDP_across_a_partition_is_lost_and_flows_again_after_heal(AddressFamily family, string mechanism)
    {
        await using var net = ThreeNodesOnASwitch(mechanism);
        var n3 = net.AddressOf("n3", family);
        Assert.Equal(20, (await UdpRoundAsync(net["n1"], net["n3"], n3, 20)).Count);

        net.Isolate("n3");
        Assert.Empty(await UdpRoundAsync(net["n1"], net["n3"], n3, 20));
        Assert.Empty(await UdpRoundAsync(net["n3"], net["n2"], net.AddressOf("n2", family), 20));
        Assert.Equal(20, (await UdpRoundAsync(net["n1"], net["n2"], net.AddressOf("n2", family), 20)).Count);

        net.Heal();
        Assert.Equal(20, (await UdpRoundAsync(net["n1"], net["n3"], n3, 20)).Count);
    }

    [PrivilegedFact]
    public async Task Isolating_a_router_cuts_the_traffic_it_forwards()
    {
        await using var net = new TopologyBuilder()
            .AddSwitch("left").AddSwitch("right").AddRouter("r")
            .AddHost("a").Connect("a", "left").Connect("r", "left")
            .AddHost("b").Connect("b", "right").Connect("r", "right")
            .Build();
        var b = net.AddressOf("b");
        Assert.Equal(10, (await UdpRoundAsync(net["a"], net["b"], b, 10)).Count);
        net.Isolate("r");
        Assert.Empty(await UdpRoundAsync(net["a"], net["b"], b, 10));
        net.ClearFaults();
        Assert.Equal(10, (await UdpRoundAsync(net["a"], net["b"], b, 10)).Count);
    }

    [PrivilegedFact]
    public async Task Bad_partitions_are_refused_before_anything_changes()
    {
        await using var net = ThreeNodesOnASwitch();
        Assert.Throws<ArgumentException>(() => net.Partition(["n1"]));
        Assert.Throws<ArgumentException>(() => net.Partition(["n1"], []));
        var twice = Assert.Throws<ArgumentException>(() => net.Partition(["n1", "n2"], ["n2", "n3"]));
        Assert.Contains("'n2' is in groups 1 and 2", twice.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => net.Partition(["n1"], ["n9"]));
        Assert.Throws<KeyNotFoundException>(() => net.Isolate("n9"));
        Assert.False(net.AreSeparated("n1", "n2"));
        Assert.Equal(["noqueue"], QdiscKinds(net["n1"].Namespace, "eth0"));
    }
}
