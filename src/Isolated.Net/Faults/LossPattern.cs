namespace Isolated.Net.Faults;

// The loss decision the fault filter makes in the kernel, written again in C#: packet number n (from
// 0, in the order packets reach the filter) is dropped when the high 32 bits of the n+1-th SplitMix64
// output for the seed fall below percent/100 * 2^32. A counter-based generator, so the kernel needs
// one atomic increment per packet and no lock, and the pattern depends only on the seed and the order.
internal static class LossPattern
{
    public const ulong Golden = 0x9E3779B97F4A7C15;
    public const ulong Mix1 = 0xBF58476D1CE4E5B9;
    public const ulong Mix2 = 0x94D049BB133111EB;

    /// <summary>The drop threshold for a percentage: 0 never drops, 2^32 always does.</summary>
    public static ulong Threshold(double percent) => (ulong)Math.Round(percent / 100.0 * 4294967296.0);

    /// <summary>The seed as the filter's map stores it.</summary>
    public static ulong SeedValue(int seed) => unchecked((ulong)(long)seed);

    public static bool IsDropped(int seed, long packetNumber, double percent) =>
        IsDropped(SeedValue(seed), unchecked((ulong)packetNumber), Threshold(percent));

    public static bool IsDropped(ulong seed, ulong packetNumber, ulong threshold)
    {
        unchecked
        {
            ulong z = seed + ((packetNumber + 1) * Golden);
            z = (z ^ (z >> 30)) * Mix1;
            z = (z ^ (z >> 27)) * Mix2;
            z ^= z >> 31;
            return (z >> 32) < threshold;
        }
    }
}
