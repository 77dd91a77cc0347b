using System.Diagnostics;
using System.Numerics;

namespace Isolated.Net;

// How late frames left the delay line, in microseconds, as a log-linear histogram: exact below 64 µs,
// then 32 buckets per power of two (a bucket is at most 1/32 of its value wide). Written only by the
// direction's forwarder thread; snapshots read it from anywhere, word by word (a snapshot taken while
// frames pass may be one frame behind in some buckets, never torn within a counter).
internal sealed class LatenessHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;  // 32
    private const int LinearLimit = 2 * SubBuckets;     // values below 64 µs have a bucket each
    private const int MaxMagnitude = 40;                // 2^40 µs is 12.7 days: later still lands in the last bucket
    internal const int BucketCount = (MaxMagnitude - SubBucketBits + 1) * SubBuckets + SubBuckets;

    private readonly long[] _buckets = new long[BucketCount];
    private long _frames;
    private long _totalTicks;
    private long _maxTicks;

    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }
        _buckets[BucketOf(TicksToMicroseconds(ticks))]++;
        _totalTicks += ticks;
        if (ticks > _maxTicks)
        {
            Volatile.Write(ref _maxTicks, ticks);
        }
        Volatile.Write(ref _frames, _frames + 1);
    }

    public ImpairmentLateness Snapshot()
    {
        var buckets = new long[BucketCount];
        for (int i = 0; i < buckets.Length; i++)
        {
            buckets[i] = Volatile.Read(ref _buckets[i]);
        }
        return new ImpairmentLateness(buckets, Volatile.Read(ref _totalTicks), Volatile.Read(ref _maxTicks));
    }

    internal static long TicksToMicroseconds(long ticks) => (long)(ticks * (1_000_000.0 / Stopwatch.Frequency));

    internal static int BucketOf(long microseconds)
    {
        if (microseconds < LinearLimit)
        {
            return (int)microseconds;
        }
        int magnitude = 63 - BitOperations.LeadingZeroCount((ulong)microseconds);
        if (magnitude > MaxMagnitude)
        {
            return BucketCount - 1;
        }
        int shift = magnitude - SubBucketBits;
        return ((shift + 1) * SubBuckets) + (int)((microseconds >> shift) - SubBuckets);
    }

    // The smallest value (µs) that falls in BUCKET, and the smallest that falls in the next.
    internal static (long Low, long High) RangeOf(int bucket)
    {
        if (bucket < LinearLimit)
        {
            return (bucket, bucket + 1);
        }
        int shift = (bucket / SubBuckets) - 1;
        long low = (long)((bucket % SubBuckets) + SubBuckets) << shift;
        return (low, low + (1L << shift));
    }
}
