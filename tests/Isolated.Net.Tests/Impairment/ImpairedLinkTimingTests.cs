using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;
using Xunit.Abstractions;
using static Isolated.Net.Tests.ImpairedLinks.ImpairedTraffic;

namespace Isolated.Net.Tests.ImpairedLinks;

// Measures time, or loads the CPUs: runs alone, not beside other tests of this process.
[CollectionDefinition(nameof(ImpairmentTiming), DisableParallelization = true)]
public sealed class ImpairmentTiming;

[Collection(nameof(ImpairmentTiming))]
public sealed class ImpairedLinkTimingTests(ITestOutputHelper output)
{
    [PrivilegedFact]
    public async Task A_50_ms_one_way_delay_gives_a_TCP_round_trip_of_100_ms()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
            .ImpairedLink("a", "b", o => o.Both(i => i.Delay = TimeSpan.FromMilliseconds(50)))
            .Build();

        var (connect, rtts) = await TcpEchoMillisecondsAsync(net["a"], net["b"], 20);

        output.WriteLine($"connect (ARP round trip + SYN round trip) {connect:F2} ms; echo RTTs: {string.Join(" ", rtts.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}");
        Assert.True(net.GetLink("a", "b").Forwarder.IsRealTime);
        Assert.InRange(connect, 199.9, 250.0);
        Assert.All(rtts, rtt => Assert.InRange(rtt, 99.9, 120.0));
        Assert.InRange(Median(rtts), 99.9, 103.0);
    }

    [PrivilegedTheory]
    [InlineData(JitterDistribution.Uniform)]
    [InlineData(JitterDistribution.Normal)]
    public async Task Jitter_shows_the_asked_spread_and_each_delay_is_the_drawn_one(JitterDistribution distribution)
    {
        var jitter = TimeSpan.FromMilliseconds(4);
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
            .ImpairedLink("a", "b", o =>
            {
                o.Seed = 2024;
                o.AtoB.Delay = TimeSpan.FromMilliseconds(15);
                o.AtoB.Jitter = jitter;
                o.AtoB.JitterDistribution = distribution;
                o.BtoA.Delay = TimeSpan.FromMilliseconds(5);
            })
            .Build();
        using var echo = StartUdpEcho(net["b"]);

        var rtts = UdpPingMilliseconds(net["a"], net.AddressOf("b"), 150);

        // The pings are the only frames of A→B's random stream: replay it to know each drawn delay.
        var settings = net.GetLink("a", "b").Forwarder.AtoB.Settings;
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(2024).AtoB);
        var frozen = DirectionSettings.From(settings, "replay", "settings");
        var predicted = Enumerable.Range(0, rtts.Count)
            .Select(i => (model.Decide(frozen, 106, isLinkControl: false, now: i * Stopwatch.Frequency).Deadline - (i * Stopwatch.Frequency)) * 1000.0 / Stopwatch.Frequency + 5)
            .ToList();
        // The first ping waits for ARP (one more round trip); the rest measure the link alone.
        var errors = rtts.Zip(predicted, (measured, expected) => measured - expected).Skip(1).ToList();
        rtts = rtts.Skip(1).ToList();
        double expectedSpread = distribution == JitterDistribution.Uniform ? jitter.TotalMilliseconds / Math.Sqrt(3) : jitter.TotalMilliseconds;
        output.WriteLine("forwarder: " + net.GetLink("a", "b").Forwarder.AtoB.DescribeLateness() + "; " + net.GetLink("a", "b").Forwarder.BtoA.DescribeLateness());
        output.WriteLine("worst: " + string.Join(", ", errors.Select((e, i) => (e, i: i + 1)).OrderByDescending(x => x.e).Take(8).Select(x => $"#{x.i} {x.e:F2}")));
        output.WriteLine($"RTT mean {rtts.Average():F3} ms, sd {StandardDeviation(rtts):F3} ms (asked {expectedSpread:F3}); measured − drawn: median {Median(errors):F3} ms, max {errors.Max():F3} ms, min {errors.Min():F3} ms");

        Assert.InRange(rtts.Average(), 19.0, 21.5);
        Assert.InRange(StandardDeviation(rtts), expectedSpread * 0.8, expectedSpread * 1.2);
        // Every frame left when its drawn delay said, to within a millisecond (a loaded machine may
        // be late now and then, never early).
        Assert.All(errors, e => Assert.True(e > -0.05, $"a ping came back {-e:F3} ms before its drawn delay"));
        Assert.True(errors.Count(e => e < 1.0) >= errors.Count * 0.95, "fewer than 95% of pings within 1 ms of their drawn delay");
    }

    [PrivilegedFact]
    public async Task A_rate_limit_paces_frames_and_a_full_queue_drops_the_rest()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b")
            .ImpairedLink("a", "b", o =>
            {
                o.AtoB.RateBitsPerSecond = 8_000_000; // a 1,042-byte frame takes 1.042 ms
                o.AtoB.QueueLimit = 20;
            })
            .Build();
        var direction = net.GetLink("a", "b").Forwarder.AtoB;
        using var echo = StartUdpEcho(net["b"]);
        _ = UdpPingMilliseconds(net["a"], net.AddressOf("b"), 1); // resolves ARP before the burst
        var before = direction.Counters;

        // A burst far faster than 8 Mbit/s: the first 20 queue, the rest find the queue full.
        using var sender = net["a"].CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var payload = new byte[1000];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 100; i++)
        {
            sender.SendTo(payload, new IPEndPoint(net.AddressOf("b"), 9999));
        }
        SpinWait.SpinUntil(() => direction.Counters.Since(before).Received >= 100, TimeSpan.FromSeconds(5));
        SpinWait.SpinUntil(() => direction.Counters.Since(before) is var c && c.Passed + c.QueueDropped >= c.Received, TimeSpan.FromSeconds(5));
        var elapsed = clock.Elapsed;
        var counters = direction.Counters.Since(before);

        output.WriteLine($"{counters} in {elapsed.TotalMilliseconds:F1} ms");
        // A link-control frame (an IPv6 report, say) may have crossed too.
        Assert.InRange(counters.QueueDropped, 60, 81);
        Assert.Equal(counters.Received, counters.Passed + counters.QueueDropped);
        // The ones that passed left one serialization time apart.
        Assert.InRange(elapsed.TotalMilliseconds, counters.Passed * 1.042 * 0.9, (counters.Passed * 1.042) + 50);
    }

    [PrivilegedFact]
    public async Task An_impaired_switch_connection_slows_only_that_host()
    {
        await using var net = new TopologyBuilder().AddSwitch("lan")
            .AddHost("far").ConnectImpaired("far", "lan", o => o.Both(i => i.Delay = TimeSpan.FromMilliseconds(20)))
            .AddHost("near1").Connect("near1", "lan")
            .AddHost("near2").Connect("near2", "lan")
            .Build();
        using var echo = StartUdpEcho(net["near1"]);

        var farRtts = UdpPingMilliseconds(net["far"], net.AddressOf("near1"), 10);
        var nearRtts = UdpPingMilliseconds(net["near2"], net.AddressOf("near1"), 10);
        double far = Median(farRtts.Skip(1)), near = Median(nearRtts.Skip(1));

        output.WriteLine($"far {string.Join(" ", farRtts.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} ms; near {string.Join(" ", nearRtts.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} ms");
        output.WriteLine(impairmentOf(net).ToString());
        Assert.InRange(far, 39.9, 45);
        static ImpairedLinkForwarder impairmentOf(Isolated.Net.Topology t) => t["far"].GetInterface("eth0").Forwarder;
        Assert.InRange(near, 0, 5);
        var impairment = net["far"].GetInterface("eth0").Forwarder;
        Assert.Equal("far", impairment.AtoB.From);
        Assert.Equal("lan", impairment.AtoB.To);
        Assert.True(impairment.AtoB.Counters.Delayed >= 10);
        Assert.False(net["near1"].GetInterface("eth0").HasForwarder);
        Assert.Throws<InvalidOperationException>(() => net["near1"].GetInterface("eth0").Forwarder);
    }

    [PrivilegedFact]
    public async Task Unimpaired_throughput_is_reported()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").ImpairedLink("a", "b").Build();

        double bitsPerSecond = await TcpThroughputAsync(net["a"], net["b"], TimeSpan.FromSeconds(3));

        var counters = net.GetLink("a", "b").Forwarder.AtoB.Counters;
        output.WriteLine($"TCP over an unimpaired impaired link, MTU 1500: {bitsPerSecond / 1e9:F2} Gbit/s ({counters.Passed} frames A→B)");
        Assert.True(bitsPerSecond > 0);
    }

}
