using System.Diagnostics;

namespace Isolated.Net;

// Validated settings in the forwarder's units (Stopwatch ticks), published to a forwarder thread as
// one immutable object: a change swaps the reference, so a frame never sees half of an update.
internal sealed class DirectionSettings
{
    public static readonly DirectionSettings None = new(new ImpairmentSettings());

    private DirectionSettings(ImpairmentSettings source)
    {
        Source = source;
        DelayTicks = ToTicks(source.Delay);
        JitterTicks = ToTicks(source.Jitter);
        ReorderTimeoutTicks = ToTicks(source.ReorderTimeout);
        PerPacket = source.Loss > 0 || source.BurstLoss is not null || source.Duplication > 0 || source.Reordering > 0 || source.Jitter > TimeSpan.Zero;
    }

    // A random decision applies to each packet (loss, burst loss, duplication, reordering, jitter): the
    // TAP must then hand out packets as the user sees them, not TCP super-frames. Delay and rate alone
    // treat every byte alike, so super-frames may cross whole.
    public bool PerPacket { get; }

    // A private copy: the caller's object may change afterwards.
    public ImpairmentSettings Source { get; }

    public long DelayTicks { get; }

    public long JitterTicks { get; }

    public long ReorderTimeoutTicks { get; }

    public static DirectionSettings From(ImpairmentSettings settings, string owner, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(settings, parameterName);
        var copy = settings.Clone();
        var problems = copy.Problems();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"The impairment of {owner} is not valid: {string.Join("; ", problems)}.", parameterName);
        }
        return new DirectionSettings(copy);
    }

    // Stopwatch ticks are nanoseconds on Linux; computed in double, exact far beyond the one-hour limit.
    public static long ToTicks(TimeSpan value) => (long)Math.Round(value.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
}

internal enum FrameVerdict : byte
{
    Deliver,
    Lost,
    QueueFull,
}

internal readonly record struct FrameDecision(FrameVerdict Verdict, long Deadline, bool Duplicate, bool Reorder);

// The decisions for one direction, kept apart from the I/O so they can be tested without privileges.
// Each frame of the user's traffic draws exactly five numbers, in this order, whatever is enabled:
// [0] loss, [1] burst-loss state change, [2] duplication, [3] reordering, [4] jitter. So frame n always
// meets numbers 5n..5n+4 of its direction's stream, and turning duplication on does not change which
// frames are lost. Link-control frames (unless impaired too) draw nothing.
internal sealed class ImpairmentModel(Xoshiro256StarStar random)
{
    public const int DrawsPerFrame = 5;

    private readonly Queue<(long Until, int Segments)> _bottleneck = new(); // when each frame waiting for the rate limiter finishes
    private int _queuedSegments;
    private Xoshiro256StarStar _random = random;
    private bool _bad;
    private long _busyUntil = long.MinValue;
    private long _lastDeadline = long.MinValue;

    // How many packets (super-frames count as their segments) are queued behind the rate limiter at the last decision.
    public int QueueLength => _queuedSegments;

    // LENGTH is the bytes the frame takes on the wire; SEGMENTS the packets it stands for (a super-frame's
    // segments, which only cross whole when no per-packet impairment is set).
    public FrameDecision Decide(DirectionSettings settings, int length, bool isLinkControl, long now, int segments = 1)
    {
        var s = settings.Source;
        bool random = !isLinkControl || s.ImpairLinkControl;
        bool duplicate = false, reorder = false;
        long jitter = 0;
        if (random)
        {
            double lossDraw = Xoshiro256StarStar.ToUnit(_random.Next());
            double stateDraw = Xoshiro256StarStar.ToUnit(_random.Next());
            duplicate = Xoshiro256StarStar.ToUnit(_random.Next()) < s.Duplication;
            reorder = Xoshiro256StarStar.ToUnit(_random.Next()) < s.Reordering;
            jitter = Jitter(settings, _random.Next());
            if (IsLost(s, lossDraw, stateDraw))
            {
                return new FrameDecision(FrameVerdict.Lost, now, false, false);
            }
        }

        long departure = now;
        if (s.RateBitsPerSecond > 0)
        {
            while (_bottleneck.Count > 0 && _bottleneck.Peek().Until <= now)
            {
                _queuedSegments -= _bottleneck.Dequeue().Segments;
            }
            // A super-frame is let in while the queue has room for its first packet, as a qdisc would
            // take its first segment.
            if (_queuedSegments >= s.QueueLimit)
            {
                return new FrameDecision(FrameVerdict.QueueFull, now, false, false);
            }
            long start = Math.Max(now, _busyUntil);
            _busyUntil = start + (long)(length * 8L * (double)Stopwatch.Frequency / s.RateBitsPerSecond);
            _bottleneck.Enqueue((_busyUntil, segments));
            _queuedSegments += segments;
            departure = _busyUntil;
        }
        else
        {
            _bottleneck.Clear();
            _queuedSegments = 0;
        }

        // A frame never overtakes the one ahead of it: jitter varies the gaps, not the order.
        long deadline = Math.Max(departure + Math.Max(0, settings.DelayTicks + jitter), _lastDeadline);
        _lastDeadline = deadline;
        return new FrameDecision(FrameVerdict.Deliver, deadline, duplicate, reorder);
    }

    private bool IsLost(ImpairmentSettings s, double lossDraw, double stateDraw)
    {
        if (s.BurstLoss is not { } burst)
        {
            return lossDraw < s.Loss;
        }
        // Judged in the state the chain is in, then the chain moves.
        bool lost = lossDraw < (_bad ? burst.LossInBad : burst.LossInGood);
        _bad = _bad ? !(stateDraw < burst.BadToGood) : stateDraw < burst.GoodToBad;
        return lost;
    }

    // Uniform: delay ± jitter from the top 53 bits. Normal: Box–Muller on the two 32-bit halves, the high
    // half mapped to (0, 1] so its logarithm is finite.
    private static long Jitter(DirectionSettings settings, ulong draw)
    {
        if (settings.JitterTicks == 0)
        {
            return 0;
        }
        if (settings.Source.JitterDistribution == JitterDistribution.Normal)
        {
            double u1 = ((draw >> 32) + 1) * (1.0 / 4294967296.0);
            double u2 = (draw & 0xFFFFFFFF) * (1.0 / 4294967296.0);
            double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            return (long)Math.Round(z * settings.JitterTicks);
        }
        return (long)Math.Round(((2 * Xoshiro256StarStar.ToUnit(draw)) - 1) * settings.JitterTicks);
    }
}
