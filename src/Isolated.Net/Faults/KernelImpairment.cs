using System.Globalization;
using System.Text;

namespace Isolated.Net;

/// <summary>
/// How one direction of a link or switch port misbehaves: a bandwidth limit, packet loss, and (on
/// kernels with sch_netem) latency, jitter, duplication and reordering. Apply it with
/// <see cref="HostInterface.Impair(KernelImpairment)"/>, <see cref="HostInterface.ImpairInbound(KernelImpairment)"/> or
/// <see cref="Link.Impair(KernelImpairment)"/>; applying another replaces it, <see cref="None"/> clears it.
/// </summary>
/// <remarks>
/// <para>Bandwidth is a token bucket (tbf) on the sending end; latency and the rest are netem on the
/// sending end. Loss is a BPF classifier on the receiving end, so the sender never sees a drop.</para>
/// <para>Every random choice follows <see cref="Seed"/>: packet number n (from 0, counted from the
/// moment the impairment is applied, in the order IP packets reach the receiving end; ARP never
/// counts or drops) is lost exactly when the n+1-th SplitMix64 output for the seed, in its high 32
/// bits, is below <see cref="LossPercent"/>/100 × 2^32. The same seed and the same packet order give
/// the same drops, so a failing run replays. Two directions given the same seed drop the same packet
/// numbers; give them different seeds for independent losses.</para>
/// </remarks>
public sealed record KernelImpairment
{
    /// <summary>No impairment: applying it restores the direction to its clean state.</summary>
    public static KernelImpairment None { get; } = new();

    /// <summary>
    /// The rate limit in bits per second (Ethernet frames, headers included), or null for none. TCP
    /// payload gets about 95% of it with a 1500-byte MTU.
    /// </summary>
    public long? BandwidthBitsPerSecond { get; init; }

    /// <summary>The share of IP packets lost, 0 to 100.</summary>
    public double LossPercent { get; init; }

    /// <summary>Added one-way delay; needs sch_netem.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>Random variation of the delay (uniform, ±); needs sch_netem and a latency.</summary>
    public TimeSpan Jitter { get; init; }

    /// <summary>The share of packets sent twice, 0 to 100; needs sch_netem.</summary>
    public double DuplicatePercent { get; init; }

    /// <summary>The share of packets sent at once while the rest wait <see cref="Latency"/>, 0 to 100; needs sch_netem and a latency.</summary>
    public double ReorderPercent { get; init; }

    /// <summary>The seed of every random choice (loss, and netem's jitter, duplication and reordering). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>True when nothing is impaired.</summary>
    public bool IsNone => BandwidthBitsPerSecond is null && LossPercent == 0 && !NeedsNetem;

    /// <summary>True when the impairment needs the sch_netem qdisc (latency, jitter, duplication or reordering).</summary>
    public bool NeedsNetem => Latency > TimeSpan.Zero || Jitter > TimeSpan.Zero || DuplicatePercent > 0 || ReorderPercent > 0;

    /// <summary>A bandwidth limit and nothing else.</summary>
    /// <param name="bitsPerSecond">The rate in bits per second, at least 8.</param>
    public static KernelImpairment Bandwidth(long bitsPerSecond) => new() { BandwidthBitsPerSecond = bitsPerSecond };

    /// <summary>Packet loss and nothing else.</summary>
    /// <param name="percent">The share of IP packets lost, 0 to 100.</param>
    /// <param name="seed">The seed of the drop pattern.</param>
    public static KernelImpairment Loss(double percent, int seed = 0) => new() { LossPercent = percent, Seed = seed };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        if (BandwidthBitsPerSecond is long rate && rate < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(BandwidthBitsPerSecond), rate, "A bandwidth limit is at least 8 bit/s (one byte per second).");
        }
        CheckPercent(LossPercent, nameof(LossPercent));
        CheckPercent(DuplicatePercent, nameof(DuplicatePercent));
        CheckPercent(ReorderPercent, nameof(ReorderPercent));
        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), Latency, "A latency cannot be negative.");
        }
        if (Jitter < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Jitter), Jitter, "A jitter cannot be negative.");
        }
        if (Jitter > TimeSpan.Zero && Latency == TimeSpan.Zero)
        {
            throw new ArgumentException("Jitter varies the latency, so it needs a Latency.", nameof(Jitter));
        }
        if (ReorderPercent > 0 && Latency == TimeSpan.Zero)
        {
            throw new ArgumentException("Reordering lets some packets skip the latency, so it needs a Latency.", nameof(ReorderPercent));
        }
    }

    /// <summary>A short description in tc words, e.g. "rate 1000000bit loss 30% seed 7".</summary>
    public override string ToString()
    {
        if (IsNone)
        {
            return "none";
        }
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        if (BandwidthBitsPerSecond is long rate)
        {
            text.Append(c, $"rate {rate}bit ");
        }
        if (LossPercent > 0)
        {
            text.Append(c, $"loss {LossPercent}% ");
        }
        if (Latency > TimeSpan.Zero)
        {
            text.Append(c, $"delay {Latency.TotalMilliseconds}ms ");
        }
        if (Jitter > TimeSpan.Zero)
        {
            text.Append(c, $"jitter {Jitter.TotalMilliseconds}ms ");
        }
        if (DuplicatePercent > 0)
        {
            text.Append(c, $"duplicate {DuplicatePercent}% ");
        }
        if (ReorderPercent > 0)
        {
            text.Append(c, $"reorder {ReorderPercent}% ");
        }
        text.Append(c, $"seed {Seed}");
        return text.ToString();
    }

    private static void CheckPercent(double value, string name)
    {
        if (double.IsNaN(value) || value < 0 || value > 100)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} is a percentage, 0 to 100.");
        }
    }
}
