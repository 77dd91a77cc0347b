using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net;

/// <summary>
/// How late one direction's forwarder sent the frames it held: for each frame that waited in the delay
/// line (delay, jitter or rate limit), the time between its deadline and the moment the forwarder wrote
/// it. The applied delay of a frame is its drawn delay plus its lateness; a frame is never early.
/// Obtained from <see cref="ImpairedDirection.Lateness"/>; a snapshot, it does not change afterwards.
/// </summary>
/// <remarks>
/// Percentiles come from a histogram with microsecond buckets below 64 µs and 32 buckets per power of two
/// above (so they are within about 3% of the true value, rounded up); <see cref="Max"/> and
/// <see cref="Mean"/> are exact.
/// </remarks>
public sealed class ImpairmentLateness
{
    private readonly long[] _buckets;
    private readonly long _totalTicks;
    private readonly long _maxTicks;

    internal ImpairmentLateness(long[] buckets, long totalTicks, long maxTicks)
    {
        _buckets = buckets;
        _totalTicks = totalTicks;
        _maxTicks = maxTicks;
        Frames = buckets.Sum();
    }

    /// <summary>The frames measured: those that waited in the delay line.</summary>
    public long Frames { get; }

    /// <summary>The latest any frame left after its deadline.</summary>
    public TimeSpan Max => Stopwatch.GetElapsedTime(0, _maxTicks);

    /// <summary>The mean lateness; zero when no frame was measured.</summary>
    public TimeSpan Mean => Frames == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, _totalTicks / Frames);

    /// <summary>Half of the frames left at most this late.</summary>
    public TimeSpan Median => Percentile(0.5);

    /// <summary>99% of the frames left at most this late.</summary>
    public TimeSpan P99 => Percentile(0.99);

    /// <summary>
    /// The lateness that a fraction <paramref name="quantile"/> of the frames did not exceed (the upper
    /// edge of the histogram bucket it falls in, capped at <see cref="Max"/>); zero when no frame was measured.
    /// </summary>
    /// <param name="quantile">From 0 to 1: 0.5 is the median, 0.99 the 99th percentile.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantile"/> is not within [0, 1].</exception>
    public TimeSpan Percentile(double quantile)
    {
        if (double.IsNaN(quantile) || quantile < 0 || quantile > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "A quantile is a fraction from 0 to 1, e.g. 0.99 for the 99th percentile.");
        }
        if (Frames == 0)
        {
            return TimeSpan.Zero;
        }
        // The rank of the frame at that quantile, 1-based: ceil(q·n), at least the first.
        long rank = Math.Max(1, (long)Math.Ceiling(quantile * Frames));
        long seen = 0;
        for (int i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= rank)
            {
                var upper = TimeSpan.FromMicroseconds(LatenessHistogram.RangeOf(i).High);
                return upper < Max ? upper : Max;
            }
        }
        return Max;
    }

    /// <inheritdoc />
    public override string ToString() => Frames == 0
        ? "no delayed frames"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Frames} delayed frames left after their deadline by: median ≤ {Median.TotalMicroseconds:F0} µs, p99 ≤ {P99.TotalMicroseconds:F0} µs, mean {Mean.TotalMicroseconds:F1} µs, max {Max.TotalMicroseconds:F1} µs");
}
