using System.Numerics;

namespace Isolated.Net;

// The fixed, documented generators behind every impairment decision (System.Random's algorithm is
// unspecified and has changed between releases). xoshiro256** (Blackman and Vigna, 2018) draws the
// numbers; SplitMix64 (Steele, Lea and Flood, 2014) expands a link's 64-bit seed into its state, as the
// xoshiro authors recommend. Both are a few lines, written here from their published definitions.
internal struct Xoshiro256StarStar
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public Xoshiro256StarStar(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new ArgumentException("xoshiro256** needs a state that is not all zero.");
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    // The two directions of a link: A→B takes SplitMix64 outputs 1–4 of the seed, B→A outputs 5–8.
    public static (Xoshiro256StarStar AtoB, Xoshiro256StarStar BtoA) ForLink(ulong seed)
    {
        var expand = new SplitMix64(seed);
        var aToB = new Xoshiro256StarStar(expand.Next(), expand.Next(), expand.Next(), expand.Next());
        var bToA = new Xoshiro256StarStar(expand.Next(), expand.Next(), expand.Next(), expand.Next());
        return (aToB, bToA);
    }

    public ulong Next()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    // A uniform double in [0, 1) from the top 53 bits: an event of probability p happens when this is < p.
    public static double ToUnit(ulong value) => (value >> 11) * (1.0 / (1UL << 53));
}

internal struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
