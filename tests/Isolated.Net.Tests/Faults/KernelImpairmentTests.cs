using System.Net.Sockets;
using Isolated.Net.Faults;
using Isolated.Net.Namespaces;
using Isolated.Net.Testing;
using Xunit;
using Xunit.Abstractions;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Faults;

public sealed class KernelImpairmentTests(ITestOutputHelper output)
{
    private const int Datagrams = 2000;

    private static Isolated.Net.Topology TwoHostsOnALink() => new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();

    [KernelFeatureFact(nameof(KernelFeatures.TokenBucket))]
    public async Task A_one_megabit_limit_holds_TCP_to_its_rate_and_clears()
    {
        await using var net = TwoHostsOnALink();
        var link = net.GetLink("a", "b");
        link.First.Impair(KernelImpairment.Bandwidth(1_000_000));

        var qdisc = TcJson(net["a"].Namespace, "qdisc", "show", "dev", "eth0")[0];
        Assert.Equal("tbf", qdisc.GetProperty("kind").GetString());
        Assert.Equal(125_000, qdisc.GetProperty("options").GetProperty("rate").GetInt64()); // bytes per second
        Assert.Equal(["noqueue"], QdiscKinds(net["b"].Namespace, "eth0")); // the other direction is untouched

        // A token bucket of BURST bytes filling at RATE lets at most BURST + RATE·t bytes through in any
        // time t: 250,000 payload bytes (more on the wire) need at least (250,000 − burst) / 125,000 s,
        // however fast or busy the machine. How close TCP gets to the rate is a figure for the output.
        const int bytes = 250_000;
        long burst = qdisc.GetProperty("options").GetProperty("burst").GetInt64();
        var elapsed = await TcpTransferTimeAsync(net["a"], net["b"], net.AddressOf("b"), bytes);
        output.WriteLine($"a->b TCP payload through tbf 1 Mbit/s (burst {burst} bytes): {bytes * 8 / elapsed.TotalSeconds / 1e6:F3} Mbit/s");
        Assert.True(elapsed.TotalSeconds >= (bytes - burst) / 125_000.0, $"{bytes} bytes crossed in {elapsed.TotalSeconds:F3} s, faster than the limit allows");

        link.First.ClearImpairment();
        Assert.Equal(["noqueue"], QdiscKinds(net["a"].Namespace, "eth0"));
        Assert.Equal(KernelImpairment.None, link.First.OutboundImpairment);
    }

    [KernelFeatureFact(nameof(KernelFeatures.BpfClassifier))]
    public async Task Thirty_percent_loss_over_2000_datagrams_follows_the_seed_and_clears_to_none()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").WithoutIPv6().Build();
        // Only our datagrams may reach the filter, so their numbers are the filter's packet numbers:
        // IPv6 off (no router or multicast listener chatter); ARP resolved first (and never counted).
        foreach (var host in net.Hosts)
        {
            NamespaceSysctl.Write(host.Namespace, "net/ipv6/conf/all/disable_ipv6", "1");
            NamespaceSysctl.Write(host.Namespace, "net/ipv6/conf/eth0/disable_ipv6", "1");
        }
        var (a, b, target) = (net["a"], net["b"], net.AddressOf("b"));
        Assert.Single(await UdpRoundAsync(a, b, target, 1));

        const int seed = 20260611;
        var link = net.GetLink("a", "b");
        link.First.Impair(KernelImpairment.Loss(30, seed));
        Assert.Contains("isonet_fault", IngressFilters(b.Namespace, "eth0"), StringComparison.Ordinal); // loss lives at the receiving end
        var first = await UdpRoundAsync(a, b, target, Datagrams);
        var dropped = Enumerable.Range(0, Datagrams).Where(n => !first.Contains(n)).ToList();
        output.WriteLine($"seed {seed}: {dropped.Count} of {Datagrams} lost ({100.0 * dropped.Count / Datagrams:F1}%)");

        // Binomial(2000, 0.3): mean 600, sd 20.5; 4.5 sd either side (a fair coin fails this 7 in a million).
        Assert.InRange(dropped.Count, 508, 692);
        // And exactly the packets the model picks: packet n is dropped iff SplitMix64(seed)[n+1] is under 30%.
        Assert.Equal(Enumerable.Range(0, Datagrams).Where(n => LossPattern.IsDropped(seed, n, 30)), dropped);
        Assert.Equal(0, UdpReceiveBufferErrors(b.Namespace)); // nothing else lost them

        link.First.ClearImpairment();
        Assert.Equal(Datagrams, (await UdpRoundAsync(a, b, target, Datagrams)).Count);
        Assert.Equal(["noqueue"], QdiscKinds(b.Namespace, "eth0"));

        link.Second.ImpairInbound(KernelImpairment.Loss(30, seed)); // the same direction, named from the other end
        Assert.Equal(first, await UdpRoundAsync(a, b, target, Datagrams));

        link.Second.ImpairInbound(KernelImpairment.Loss(30, seed + 1));
        Assert.NotEqual(first, await UdpRoundAsync(a, b, target, Datagrams));
        net.ClearFaults();
        Assert.Equal(["noqueue"], QdiscKinds(b.Namespace, "eth0"));
    }

    [KernelFeatureFact(nameof(KernelFeatures.BpfClassifier))]
    public async Task Loss_on_a_switch_port_and_a_partition_share_the_hosts_filter()
    {
        await using var net = new TopologyBuilder().AddSwitch("lan")
            .AddHost("n1").Connect("n1", "lan").AddHost("n2").Connect("n2", "lan").AddHost("n3").Connect("n3", "lan").Build();
        var n1 = net["n1"].Interfaces[0];
        n1.Impair(KernelImpairment.Loss(100)); // outbound: dropped at the hub's port
        n1.ImpairInbound(KernelImpairment.Loss(50, seed: 3));
        Assert.Empty(await UdpRoundAsync(net["n1"], net["n2"], net.AddressOf("n2"), 20));
        Assert.Equal(["noqueue", "clsact"], QdiscKinds(net.Hub!, net.Hub!.GetLinks().Single(l => l.Kind == "veth" && l.Index == net["n1"].Namespace.GetLinks().Single(x => x.Name == "eth0").PeerIndex).Name));

        net.Isolate("n3");
        Assert.Empty(await UdpRoundAsync(net["n3"], net["n2"], net.AddressOf("n2"), 20));
        n1.ClearImpairment();
        Assert.Equal(20, (await UdpRoundAsync(net["n1"], net["n2"], net.AddressOf("n2"), 20)).Count);
        Assert.Empty(await UdpRoundAsync(net["n1"], net["n3"], net.AddressOf("n3"), 20)); // the cut outlives the cleared loss
        net.Heal();
        Assert.Equal(20, (await UdpRoundAsync(net["n1"], net["n3"], net.AddressOf("n3"), 20)).Count);
        foreach (var host in net.Hosts)
        {
            Assert.Equal(["noqueue"], QdiscKinds(host.Namespace, "eth0"));
        }
    }

    [PrivilegedFact]
    public async Task Latency_needs_netem_and_says_so_when_the_kernel_lacks_it()
    {
        await using var net = TwoHostsOnALink();
        var end = net.GetLink("a", "b").First;
        var latency = new KernelImpairment { Latency = TimeSpan.FromMilliseconds(50), Jitter = TimeSpan.FromMilliseconds(5), Seed = 1 };
        if (KernelFeatures.Netem.IsAvailable)
        {
            end.Impair(latency);
            Assert.Equal("netem", TcJson(net["a"].Namespace, "qdisc", "show", "dev", "eth0")[0].GetProperty("kind").GetString());
            end.ClearImpairment();
        }
        else
        {
            var error = Assert.Throws<NotSupportedException>(() => end.Impair(latency));
            output.WriteLine(error.Message);
            Assert.Contains("sch_netem", error.Message, StringComparison.Ordinal);
            Assert.Contains("Bandwidth and loss work without it", error.Message, StringComparison.Ordinal);
            Assert.Equal(KernelImpairment.None, end.OutboundImpairment); // refused before anything changed
        }
        Assert.Equal(["noqueue"], QdiscKinds(net["a"].Namespace, "eth0"));
    }

    [Fact]
    public void Bad_impairments_are_refused_with_the_value_named()
    {
        Assert.Equal("loss", Assert.Throws<ArgumentOutOfRangeException>(() => KernelImpairment.Loss(101).Validate()).ParamName?.ToLowerInvariant()[..4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelImpairment.Bandwidth(0).Validate());
        Assert.Throws<ArgumentException>(() => new KernelImpairment { Jitter = TimeSpan.FromMilliseconds(1) }.Validate());
        Assert.Throws<ArgumentException>(() => new KernelImpairment { ReorderPercent = 5 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new KernelImpairment { DuplicatePercent = double.NaN }.Validate());
        Assert.True(KernelImpairment.None.IsNone);
        Assert.Equal("rate 1000000bit loss 30% seed 7", (KernelImpairment.Bandwidth(1_000_000) with { LossPercent = 30, Seed = 7 }).ToString());
    }

    [Fact]
    public void Token_bucket_sizes_hold_two_frames_and_three_GSO_packets_of_queue()
    {
        Assert.Equal((3028, 3028 + 196_608), TopologyFaults.TokenBucketSizes(1_000_000, 1500));
        Assert.Equal((1_250_000, 26_250_000), TopologyFaults.TokenBucketSizes(1_000_000_000, 1500));
    }
}
