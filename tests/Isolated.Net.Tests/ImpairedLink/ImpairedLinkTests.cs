using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;
using Xunit.Abstractions;
using static Isolated.Net.Tests.ImpairedLinks.ImpairedTraffic;

namespace Isolated.Net.Tests.ImpairedLinks;

// Thousands of datagrams each: run alone, so neither these tests nor others starve for CPU.
[Collection(nameof(ImpairmentTiming))]
public sealed class ImpairedLinkTests(ITestOutputHelper output)
{
    [PrivilegedTheory(UsesTapDevice = true)]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task An_unimpaired_link_carries_TCP_and_UDP_both_ways(AddressFamily family)
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").ImpairedLink("a", "b").Build();

        foreach (var (from, to) in new[] { ("a", "b"), ("b", "a") })
        {
            var target = net.AddressOf(to, family);
            Assert.Equal("tcp " + from, await Topology.TopologyTests.TcpEchoAsync(net[from], net[to], target, "tcp " + from));
            Assert.Equal("udp " + from, await Topology.TopologyTests.UdpEchoAsync(net[from], net[to], target, "udp " + from));
        }
        var link = net.GetLink("a", "b");
        Assert.True(link.HasForwarder);
        Assert.True(link.Forwarder.IsRunning);
        Assert.Same(link.Forwarder, net["a"].GetInterface("eth0").Forwarder);
        Assert.True(link.Forwarder.AtoB.Counters.Passed > 0);
        Assert.True(link.Forwarder.BtoA.Counters.Passed > 0);
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task The_ends_are_ordinary_interfaces_with_the_planned_index_name_and_MTU()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").AddHost("c")
            .Link("a", "c")
            .ImpairedLink("a", "b", o => o.Both(i => i.Delay = TimeSpan.FromMilliseconds(1)), l =>
            {
                l.Mtu = 9000;
                l.First.Name = "slow0";
            })
            .Build();

        var link = Oracle.IpJson(net["a"].Namespace, "-d", "link", "show", "dev", "slow0").EnumerateArray().Single();
        Assert.Equal(3, link.GetProperty("ifindex").GetInt32()); // lo, then eth0 (to c), then slow0
        Assert.Equal(9000, link.GetProperty("mtu").GetInt32());
        Assert.Equal("ether", link.GetProperty("link_type").GetString());
        Assert.Equal("tun", link.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Contains("LOWER_UP", link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        // The kernel settles the operational state within a second (linkwatch), to UP as for a veth.
        Assert.True(SpinWait.SpinUntil(() => Oracle.IpJson(net["a"].Namespace, "link", "show", "dev", "slow0").EnumerateArray().Single().GetProperty("operstate").GetString() == "UP", TimeSpan.FromSeconds(15)));

        // A jumbo datagram crosses whole both ways, through the delay line's large-frame path.
        using var echo = StartUdpEcho(net["b"]);
        Assert.Single(UdpPingMilliseconds(net["a"], net.AddressOf("b"), 1, size: 8000));
        Assert.Equal(0, net.GetLink("a", "b").Forwarder.AtoB.Counters.Undeliverable);
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task Twenty_percent_loss_drops_a_fifth_and_the_same_seed_drops_the_same_datagrams()
    {
        const int count = 5000;
        var first = await LostDatagramsAsync(seed: 42);
        var again = await LostDatagramsAsync(seed: 42);
        var other = await LostDatagramsAsync(seed: 43);

        output.WriteLine($"seed 42 lost {first.Count} of {count}; again {again.Count}; seed 43 lost {other.Count}");
        // Binomial(5000, 0.2): mean 1000, standard deviation 28.3; ±5 deviations.
        Assert.InRange(first.Count, 859, 1141);
        Assert.InRange(other.Count, 859, 1141);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        // And they are exactly the datagrams the documented algorithm picks.
        var settings = ImpairmentModelTests.Settings(i => i.Loss = 0.2);
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(42).AtoB);
        var predicted = Enumerable.Range(0, count).Where(_ => model.Decide(settings, 106, false, 0).Verdict == FrameVerdict.Lost).ToList();
        Assert.Equal(predicted, first);

        async Task<List<int>> LostDatagramsAsync(ulong seed)
        {
            await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
                .ImpairedLink("a", "b", o =>
                {
                    o.Seed = seed;
                    o.AtoB.Loss = 0.2;
                })
                .Build();
            var direction = net.GetLink("a", "b").Forwarder.AtoB;
            var arrived = await SendNumberedDatagramsAsync(net["a"], net["b"], direction, count);
            var lost = Enumerable.Range(0, count).Except(arrived).ToList();
            var counters = direction.Counters;
            Assert.Equal(lost.Count, counters.Dropped);
            Assert.Equal(0, counters.QueueDropped);
            Assert.Equal(arrived, arrived.Order().ToList()); // loss alone never reorders
            return lost;
        }
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task The_same_seed_and_traffic_give_the_same_drop_duplicate_and_reorder_decisions_twice()
    {
        const int count = 2000;
        // A seed from the clock, printed: a failure names it, so a rerun with it replays the decisions.
        ulong seed = (ulong)DateTime.UtcNow.Ticks;
        output.WriteLine($"seed {seed} (replay: ImpairedLinkOptions.Seed = {seed})");
        var first = await RunAsync();
        var again = await RunAsync();

        // What the forwarder decided for each datagram, in the order it read them.
        for (int i = 0; i < Math.Max(first.Decisions.Count, again.Decisions.Count); i++)
        {
            string one = i < first.Decisions.Count ? first.Decisions[i] : "(none)", two = i < again.Decisions.Count ? again.Decisions[i] : "(none)";
            Assert.True(one == two, $"seed {seed}: datagram {i} was {one} in the first run and {two} in the second (replay with ImpairedLinkOptions.Seed = {seed})");
        }
        // What the receiver saw: how many copies of each datagram arrived (0 lost, 2 duplicated).
        int differing = Enumerable.Range(0, count).FirstOrDefault(i => first.Copies[i] != again.Copies[i], -1);
        Assert.True(differing < 0, $"seed {seed}: the receiver got {first.Copies[Math.Max(differing, 0)]} copies of datagram {differing} in the first run and {again.Copies[Math.Max(differing, 0)]} in the second (replay with ImpairedLinkOptions.Seed = {seed})");
        Assert.True(first.Decisions.Contains("lost") && first.Decisions.Any(d => d.Contains("duplicated", StringComparison.Ordinal))
            && first.Decisions.Any(d => d.Contains("held back", StringComparison.Ordinal)), $"seed {seed}: every kind of decision should occur in {count} datagrams");

        async Task<(List<string> Decisions, int[] Copies)> RunAsync()
        {
            await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
                .ImpairedLink("a", "b", o =>
                {
                    o.Seed = seed;
                    o.TraceCapacity = 100_000;
                    o.AtoB.Loss = 0.1;
                    o.AtoB.Duplication = 0.1;
                    o.AtoB.Reordering = 0.05;
                    o.AtoB.ReorderTimeout = TimeSpan.FromSeconds(1);
                })
                .Build();
            var direction = net.GetLink("a", "b").Forwarder.AtoB;
            var arrived = await SendNumberedDatagramsAsync(net["a"], net["b"], direction, count);
            var copies = new int[count];
            foreach (int sequence in arrived)
            {
                copies[sequence]++;
            }
            var decisions = direction.Trace!.Frames.Where(f => !f.Control).OrderBy(f => f.Arrival)
                .Select(f => f.Sent < 0 ? "lost" : (f.Reorder ? "held back" : "passed") + (f.Duplicate ? ", duplicated" : ""))
                .ToList();
            Assert.Equal(count, decisions.Count);
            Assert.Equal(0, direction.Counters.QueueDropped);
            return (decisions, copies);
        }
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task Duplication_and_reordering_are_seen_by_the_receiver_in_the_asked_proportions()
    {
        const int count = 5000;
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
            .ImpairedLink("a", "b", o =>
            {
                o.Seed = 7;
                o.AtoB.Duplication = 0.1;
                o.AtoB.Reordering = 0.05;
                o.AtoB.ReorderTimeout = TimeSpan.FromSeconds(1);
            })
            .Build();
        var direction = net.GetLink("a", "b").Forwarder.AtoB;

        var arrived = await SendNumberedDatagramsAsync(net["a"], net["b"], direction, count);

        int duplicates = arrived.Count - arrived.Distinct().Count();
        int late = 0, highest = -1;
        foreach (int sequence in arrived)
        {
            if (sequence < highest)
            {
                late++;
            }
            highest = Math.Max(highest, sequence);
        }
        var counters = direction.Counters;
        output.WriteLine($"{count} sent, {arrived.Count} arrived, {duplicates} duplicates, {late} late; {counters}");
        Assert.Equal(Enumerable.Range(0, count), arrived.Distinct().Order());
        Assert.Equal(counters.Duplicated, duplicates);
        // A held frame's duplicate arrives late too; count originals only. The forwarder also counts a
        // datagram overtaken by a link-control frame (an ARP or neighbour solicitation) as reordered,
        // which the receiver cannot see: at most one per such frame.
        int lateOriginals = LateFirstArrivals(arrived);
        Assert.InRange(counters.Reordered - lateOriginals, 0, counters.Received - count);
        // The decisions are the seed's: replaying the model gives exactly the duplicates the receiver saw.
        // A datagram drawn for reordering arrives late unless no datagram overtakes it in time (only those
        // at the very end, whose hold then times out) or a link-control frame overtakes it first.
        var settings = ImpairmentModelTests.Settings(i => { i.Duplication = 0.1; i.Reordering = 0.05; });
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(7).AtoB);
        var decisions = Enumerable.Range(0, count).Select(_ => model.Decide(settings, 106, false, 0)).ToList();
        int trailing = decisions.AsEnumerable().Reverse().TakeWhile(d => d.Reorder).Count();
        Assert.Equal(decisions.Count(d => d.Duplicate), duplicates);
        Assert.InRange(lateOriginals, decisions.Count(d => d.Reorder) - trailing - (counters.Received - count), decisions.Count(d => d.Reorder));
        // And they have the asked proportions (fixed by the seed; for any seed, ±5 standard deviations of
        // Binomial(5000, 0.1) and Binomial(5000, 0.05) fail with probability < 1e-6).
        Assert.InRange(duplicates, 394, 606);
        Assert.InRange(decisions.Count(d => d.Reorder), 173, 327);
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task Settings_change_at_run_time()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").ImpairedLink("a", "b").Build();
        var direction = net.GetLink("a", "b").Forwarder.AtoB;

        Assert.Equal(100, (await SendNumberedDatagramsAsync(net["a"], net["b"], direction, 100)).Count);
        direction.Update(i => i.Loss = 1);
        var before = direction.Counters;
        Assert.Empty(await SendNumberedDatagramsAsync(net["a"], net["b"], direction, 100));
        Assert.Equal(100, direction.Counters.Since(before).Dropped);
        direction.Clear();
        Assert.Equal(100, (await SendNumberedDatagramsAsync(net["a"], net["b"], direction, 100)).Count);

        var error = Assert.Throws<ArgumentException>(() => direction.Update(i => i.Duplication = 2));
        Assert.Contains("Duplication is 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("a -> b", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, direction.Settings.Duplication);
    }

    [PrivilegedFact(UsesTapDevice = true, NotRootless = ExternalTools.BpfFaultsNotRootless)]
    public void The_fault_API_works_on_an_impaired_link_too()
    {
        using var net = new TopologyBuilder().AddHost("a").AddHost("b").ImpairedLink("a", "b").Build();
        var link = net.GetLink("a", "b");
        using var echo = StartUdpEcho(net["b"]);
        var b = net.AddressOf("b");
        Assert.True(PingAnswers(net["a"], b, TimeSpan.FromSeconds(15)));

        // Down and up (ip link set down/up on both TAP ends): the forwarder carries on.
        link.SetDown();
        Assert.False(PingAnswers(net["a"], b, TimeSpan.FromMilliseconds(300)));
        link.SetUp();
        Assert.True(PingAnswers(net["a"], b, TimeSpan.FromSeconds(15)));

        // The kernel path (a BPF loss classifier on the receiving TAP) composes with the forwarder.
        link.Impair(Isolated.Net.KernelImpairment.Loss(100));
        Assert.False(PingAnswers(net["a"], b, TimeSpan.FromMilliseconds(300)));
        link.ClearImpairment();
        Assert.True(PingAnswers(net["a"], b, TimeSpan.FromSeconds(15)));
        Assert.True(link.Forwarder.IsRunning);
    }

    private static int LateFirstArrivals(List<int> arrived)
    {
        var seen = new HashSet<int>();
        int late = 0, highest = -1;
        foreach (int sequence in arrived)
        {
            if (!seen.Add(sequence))
            {
                continue;
            }
            if (sequence < highest)
            {
                late++;
            }
            highest = Math.Max(highest, sequence);
        }
        return late;
    }
}
