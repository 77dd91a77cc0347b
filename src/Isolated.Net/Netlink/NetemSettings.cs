using System.Globalization;

namespace Isolated.Net.Netlink;

// What a netem qdisc is asked to do (loss is not among it: the fault filter does loss on every kernel).
internal sealed record NetemSettings
{
    public TimeSpan Latency { get; init; }

    public TimeSpan Jitter { get; init; }

    public double DuplicatePercent { get; init; }

    public double ReorderPercent { get; init; }

    public int LimitPackets { get; init; } = 1000;

    public ulong Seed { get; init; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Latency, TimeSpan.Zero, nameof(Latency));
        ArgumentOutOfRangeException.ThrowIfLessThan(Jitter, TimeSpan.Zero, nameof(Jitter));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LimitPackets, nameof(LimitPackets));
        if (DuplicatePercent is < 0 or > 100 || double.IsNaN(DuplicatePercent))
        {
            throw new ArgumentOutOfRangeException(nameof(DuplicatePercent), DuplicatePercent, "A percentage is 0 to 100.");
        }
        if (ReorderPercent is < 0 or > 100 || double.IsNaN(ReorderPercent))
        {
            throw new ArgumentOutOfRangeException(nameof(ReorderPercent), ReorderPercent, "A percentage is 0 to 100.");
        }
        if (ReorderPercent > 0 && Latency == TimeSpan.Zero)
        {
            throw new ArgumentException("netem reorders by letting some packets skip the delay, so reordering needs a latency.", nameof(ReorderPercent));
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"delay {Latency.TotalMilliseconds}ms {Jitter.TotalMilliseconds}ms duplicate {DuplicatePercent}% reorder {ReorderPercent}% limit {LimitPackets} seed {Seed}");
}
