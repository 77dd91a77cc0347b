using System.Diagnostics;
using Xunit;

namespace Isolated.Net.Tests.ImpairedLinks;

// The decisions alone, without privileges or devices: the generators, the draw discipline and the
// statistics of every setting.
public sealed class ImpairmentModelTests
{
    private static readonly long Millisecond = Stopwatch.Frequency / 1000;

    [Fact]
    public void Generators_match_their_published_reference_outputs()
    {
        var xoshiro = new Xoshiro256StarStar(1, 2, 3, 4);
        Assert.Equal([11520UL, 0UL, 1509978240UL, 1215971899390074240UL], [xoshiro.Next(), xoshiro.Next(), xoshiro.Next(), xoshiro.Next()]);
        Assert.Equal(0xE220A8397B1DCDAFUL, new SplitMix64(0).Next());
        var splitMix = new SplitMix64(1234567);
        Assert.Equal([6457827717110365317UL, 3203168211198807973UL, 9817491932198370423UL], [splitMix.Next(), splitMix.Next(), splitMix.Next()]);
    }

    [Fact]
    public void A_link_seed_gives_each_direction_its_own_documented_stream()
    {
        var (aToB, bToA) = Xoshiro256StarStar.ForLink(42);
        // SplitMix64(42) outputs 1–4 seed A→B, 5–8 seed B→A (values from an independent implementation).
        Assert.Equal(1546998764402558742UL, aToB.Next());
        Assert.Equal(18330915271058917507UL, bToA.Next());
    }

    [Fact]
    public void Same_seed_same_decisions_and_another_seed_other_decisions()
    {
        var settings = Settings(i =>
        {
            i.Loss = 0.2;
            i.Duplication = 0.1;
            i.Reordering = 0.1;
            i.Jitter = TimeSpan.FromMilliseconds(5);
            i.Delay = TimeSpan.FromMilliseconds(10);
        });
        var first = Run(settings, seed: 7, frames: 2000);
        var again = Run(settings, seed: 7, frames: 2000);
        var other = Run(settings, seed: 8, frames: 2000);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Independent_loss_drops_the_asked_fraction()
    {
        var decisions = Run(Settings(i => i.Loss = 0.2), seed: 1, frames: 100_000);
        double lost = decisions.Count(d => d.Verdict == FrameVerdict.Lost) / 100_000.0;
        Assert.InRange(lost, 0.2 - 0.006, 0.2 + 0.006); // ±5 standard deviations
    }

    [Fact]
    public void Enabling_duplication_does_not_change_which_frames_are_lost()
    {
        var lossOnly = Run(Settings(i => i.Loss = 0.3), seed: 3, frames: 5000).Select(d => d.Verdict).ToList();
        var lossAndMore = Run(Settings(i =>
        {
            i.Loss = 0.3;
            i.Duplication = 0.5;
            i.Reordering = 0.2;
            i.Jitter = TimeSpan.FromMilliseconds(1);
        }), seed: 3, frames: 5000).Select(d => d.Verdict).ToList();
        Assert.Equal(lossOnly, lossAndMore);
    }

    [Fact]
    public void Link_control_frames_draw_no_numbers_and_are_never_lost()
    {
        var settings = Settings(i => i.Loss = 0.5);
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(9).AtoB);
        var interleaved = new List<FrameVerdict>();
        for (int i = 0; i < 3000; i++)
        {
            var control = model.Decide(settings, 60, isLinkControl: true, now: 0);
            Assert.Equal(FrameVerdict.Deliver, control.Verdict);
            interleaved.Add(model.Decide(settings, 100, isLinkControl: false, now: 0).Verdict);
        }
        var plain = Run(settings, seed: 9, frames: 3000).Select(d => d.Verdict).ToList();
        Assert.Equal(plain, interleaved);
    }

    [Fact]
    public void Burst_loss_has_the_asked_rate_and_mean_burst_length()
    {
        var decisions = Run(Settings(i => i.BurstLoss = GilbertElliottLoss.FromBursts(lossRate: 0.1, meanBurstLength: 4)), seed: 5, frames: 200_000);
        var lost = decisions.Select(d => d.Verdict == FrameVerdict.Lost).ToList();
        var bursts = new List<int>();
        int run = 0;
        foreach (bool l in lost)
        {
            if (l)
            {
                run++;
            }
            else if (run > 0)
            {
                bursts.Add(run);
                run = 0;
            }
        }
        Assert.InRange(lost.Count(l => l) / 200_000.0, 0.09, 0.11);
        Assert.InRange(bursts.Average(), 3.7, 4.3);
    }

    [Fact]
    public void Uniform_jitter_spreads_evenly_over_delay_plus_minus_jitter()
    {
        var settings = Settings(i =>
        {
            i.Delay = TimeSpan.FromMilliseconds(20);
            i.Jitter = TimeSpan.FromMilliseconds(5);
        });
        var delays = SparseDelays(settings, 20_000);
        Assert.All(delays, d => Assert.InRange(d, 15.0, 25.0));
        Assert.InRange(delays.Average(), 19.9, 20.1);
        Assert.InRange(StandardDeviation(delays), 5 / Math.Sqrt(3) * 0.97, 5 / Math.Sqrt(3) * 1.03);
    }

    [Fact]
    public void Normal_jitter_has_the_asked_standard_deviation_and_never_goes_below_zero()
    {
        var settings = Settings(i =>
        {
            i.Delay = TimeSpan.FromMilliseconds(20);
            i.Jitter = TimeSpan.FromMilliseconds(4);
            i.JitterDistribution = JitterDistribution.Normal;
        });
        var delays = SparseDelays(settings, 20_000);
        Assert.InRange(delays.Average(), 19.9, 20.1);
        Assert.InRange(StandardDeviation(delays), 4 * 0.97, 4 * 1.03);
        var wide = SparseDelays(Settings(i =>
        {
            i.Delay = TimeSpan.FromMilliseconds(1);
            i.Jitter = TimeSpan.FromMilliseconds(10);
            i.JitterDistribution = JitterDistribution.Normal;
        }), 2000);
        Assert.All(wide, d => Assert.True(d >= 0));
    }

    [Fact]
    public void Jitter_never_reorders_frames()
    {
        var settings = Settings(i =>
        {
            i.Delay = TimeSpan.FromMilliseconds(10);
            i.Jitter = TimeSpan.FromMilliseconds(10);
        });
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(1).AtoB);
        long last = long.MinValue;
        for (int i = 0; i < 10_000; i++)
        {
            var decision = model.Decide(settings, 100, isLinkControl: false, now: i * Millisecond / 10);
            Assert.True(decision.Deadline >= last);
            last = decision.Deadline;
        }
    }

    [Fact]
    public void Rate_limit_spaces_frames_by_their_serialization_time_and_tail_drops_a_full_queue()
    {
        // 1,000 bytes at 8 Mbit/s take 1 ms on the wire.
        var settings = Settings(i =>
        {
            i.RateBitsPerSecond = 8_000_000;
            i.QueueLimit = 10;
        });
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(1).AtoB);
        var burst = Enumerable.Range(0, 15).Select(_ => model.Decide(settings, 1000, isLinkControl: false, now: 0)).ToList();
        Assert.Equal(10, burst.Count(d => d.Verdict == FrameVerdict.Deliver));
        Assert.Equal(5, burst.Count(d => d.Verdict == FrameVerdict.QueueFull));
        var deadlines = burst.Where(d => d.Verdict == FrameVerdict.Deliver).Select(d => d.Deadline).ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(k => k * Millisecond), deadlines);
        // Once the queue has drained, frames pass again.
        Assert.Equal(FrameVerdict.Deliver, model.Decide(settings, 1000, isLinkControl: false, now: 20 * Millisecond).Verdict);
    }

    [Fact]
    public void Duplication_and_reordering_are_chosen_in_the_asked_proportions()
    {
        var decisions = Run(Settings(i =>
        {
            i.Duplication = 0.1;
            i.Reordering = 0.05;
        }), seed: 11, frames: 100_000);
        Assert.InRange(decisions.Count(d => d.Duplicate) / 100_000.0, 0.1 - 0.005, 0.1 + 0.005);
        Assert.InRange(decisions.Count(d => d.Reorder) / 100_000.0, 0.05 - 0.0035, 0.05 + 0.0035);
    }

    [Theory]
    [InlineData("Loss", "Loss is 1.5; it must be a probability between 0 and 1")]
    [InlineData("Delay", "Delay is -1ms; it must be zero or more and at most one hour")]
    [InlineData("Both", "both Loss and BurstLoss are set; set one or the other")]
    [InlineData("Queue", "QueueLimit is 0; it must be between 1 and 65536")]
    [InlineData("Rate", "RateBitsPerSecond is -5; it must be positive, or 0 for unlimited")]
    public void Bad_settings_are_rejected_with_the_setting_named(string which, string expected)
    {
        var impairment = new ImpairmentSettings();
        switch (which)
        {
            case "Loss": impairment.Loss = 1.5; break;
            case "Delay": impairment.Delay = TimeSpan.FromMilliseconds(-1); break;
            case "Both": impairment.Loss = 0.1; impairment.BurstLoss = new GilbertElliottLoss(0.1, 0.5); break;
            case "Queue": impairment.QueueLimit = 0; break;
            case "Rate": impairment.RateBitsPerSecond = -5; break;
        }
        Assert.Contains(impairment.Problems(), problem => problem.StartsWith(expected, StringComparison.Ordinal));

        // The builder reports it before touching the kernel, naming the link and the direction.
        var builder = new TopologyBuilder().AddHost("a").AddHost("b").ImpairedLink("a", "b", o =>
        {
            o.BtoA.Loss = impairment.Loss;
            o.BtoA.Delay = impairment.Delay;
            o.BtoA.BurstLoss = impairment.BurstLoss;
            o.BtoA.QueueLimit = impairment.QueueLimit;
            o.BtoA.RateBitsPerSecond = impairment.RateBitsPerSecond;
        });
        var error = Assert.Throws<TopologyValidationException>(builder.Validate);
        Assert.Contains("impaired link a<->b, BtoA: " + expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Burst_model_from_bursts_rejects_impossible_combinations()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GilbertElliottLoss.FromBursts(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => GilbertElliottLoss.FromBursts(0.1, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => GilbertElliottLoss.FromBursts(0.9, 1));
        var model = GilbertElliottLoss.FromBursts(0.2, 5);
        Assert.Equal(0.2, model.BadToGood, 12);
        Assert.Equal(0.05, model.GoodToBad, 12);
    }

    [Fact]
    public void Settings_describe_themselves_in_tc_words()
    {
        var impairment = new ImpairmentSettings
        {
            Delay = TimeSpan.FromMilliseconds(50),
            Jitter = TimeSpan.FromMilliseconds(5),
            JitterDistribution = JitterDistribution.Normal,
            Loss = 0.2,
            RateBitsPerSecond = 1_000_000,
        };
        Assert.Equal("delay 50ms jitter 5ms (normal) loss 20% rate 1000000bit limit 1000", impairment.ToString());
        Assert.Equal("none", new ImpairmentSettings().ToString());
    }

    internal static DirectionSettings Settings(Action<ImpairmentSettings> configure)
    {
        var impairment = new ImpairmentSettings();
        configure(impairment);
        return DirectionSettings.From(impairment, "test", "settings");
    }

    private static List<FrameDecision> Run(DirectionSettings settings, ulong seed, int frames)
    {
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(seed).AtoB);
        return Enumerable.Range(0, frames).Select(i => model.Decide(settings, 100, isLinkControl: false, now: i * Millisecond * 1000)).ToList();
    }

    // Frames a second apart, so no frame waits for the one ahead: each delay is the drawn one (ms).
    private static List<double> SparseDelays(DirectionSettings settings, int frames)
    {
        var model = new ImpairmentModel(Xoshiro256StarStar.ForLink(2).AtoB);
        return Enumerable.Range(0, frames).Select(i =>
        {
            long now = i * Millisecond * 1000;
            return (model.Decide(settings, 100, isLinkControl: false, now).Deadline - now) / (double)Millisecond;
        }).ToList();
    }

    private static double StandardDeviation(List<double> values)
    {
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}
