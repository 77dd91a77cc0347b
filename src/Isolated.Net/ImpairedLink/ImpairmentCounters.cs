using System.Globalization;

namespace Isolated.Net;

/// <summary>
/// What one direction of an impaired link has done so far. <see cref="Received"/> equals
/// <see cref="Passed"/> + <see cref="Dropped"/> + <see cref="QueueDropped"/> + the frames still in flight;
/// the receiver gets <see cref="Passed"/> + <see cref="Duplicated"/> frames (minus <see cref="Undeliverable"/>).
/// </summary>
/// <remarks>
/// Frames are counted as the wire would carry them: where a direction has no per-packet impairment, TCP
/// crosses as super-frames of up to 64 KiB, and each counts as its segments in <see cref="Received"/>,
/// <see cref="Passed"/>, <see cref="QueueDropped"/> and <see cref="Delayed"/>, its bytes as theirs with the
/// headers repeated. <see cref="Undeliverable"/> counts refused writes, of either kind.
/// </remarks>
/// <param name="Received">Frames read from the sending end.</param>
/// <param name="Passed">Frames delivered to the receiving end (originals; duplicates not included).</param>
/// <param name="Dropped">Frames lost by <see cref="ImpairmentSettings.Loss"/> or <see cref="ImpairmentSettings.BurstLoss"/>.</param>
/// <param name="QueueDropped">Frames dropped because the rate limiter's queue (or the delay line) was full.</param>
/// <param name="Duplicated">Extra copies delivered by <see cref="ImpairmentSettings.Duplication"/>.</param>
/// <param name="Delayed">Frames that waited at all (delay, jitter or rate limit) before delivery.</param>
/// <param name="Reordered">Frames delivered after a frame that arrived behind them.</param>
/// <param name="Undeliverable">Writes the receiving end refused (its interface was down, for instance).</param>
/// <param name="BytesPassed">Bytes of the <see cref="Passed"/> frames, Ethernet headers included (each segment's).</param>
public readonly record struct ImpairmentCounters(
    long Received,
    long Passed,
    long Dropped,
    long QueueDropped,
    long Duplicated,
    long Delayed,
    long Reordered,
    long Undeliverable,
    long BytesPassed)
{
    /// <summary>The counts since an earlier snapshot: each counter minus the same counter of <paramref name="earlier"/>.</summary>
    /// <param name="earlier">A snapshot taken before this one.</param>
    public ImpairmentCounters Since(ImpairmentCounters earlier) => new(
        Received - earlier.Received,
        Passed - earlier.Passed,
        Dropped - earlier.Dropped,
        QueueDropped - earlier.QueueDropped,
        Duplicated - earlier.Duplicated,
        Delayed - earlier.Delayed,
        Reordered - earlier.Reordered,
        Undeliverable - earlier.Undeliverable,
        BytesPassed - earlier.BytesPassed);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"received {Received}, passed {Passed}, dropped {Dropped}, queue-dropped {QueueDropped}, duplicated {Duplicated}, delayed {Delayed}, reordered {Reordered}, undeliverable {Undeliverable}, {BytesPassed} bytes passed");
}
