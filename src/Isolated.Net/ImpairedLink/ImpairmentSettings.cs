using System.Globalization;

namespace Isolated.Net;

/// <summary>
/// What one direction of an impaired link does to the Ethernet frames crossing it: delay with jitter,
/// loss (independent or in bursts), duplication, reordering, a rate limit with a bounded queue. A new
/// instance impairs nothing. Every random choice comes from the link's seeded generator, so the same
/// seed and the same traffic give the same decisions (see <see cref="ImpairedLinkOptions.Seed"/>).
/// </summary>
/// <remarks>
/// Each frame goes through, in order: loss (a lost frame costs nothing further), the rate limiter and
/// its queue (<see cref="RateBitsPerSecond"/>, <see cref="QueueLimit"/>), then <see cref="Delay"/> plus
/// jitter. A frame never leaves before the frame ahead of it, so jitter alone does not reorder; only
/// <see cref="Reordering"/> does. Duplicates leave right behind their original.
/// </remarks>
public sealed class ImpairmentSettings
{
    /// <summary>The longest <see cref="Delay"/>, <see cref="Jitter"/> or <see cref="ReorderTimeout"/> accepted: one hour.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromHours(1);

    /// <summary>The largest <see cref="QueueLimit"/>, which is also how many frames one direction holds at most (65,536).</summary>
    public const int MaxQueueLimit = 65536;

    /// <summary>Fixed one-way delay added to every frame. Default zero.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// Random variation of the delay: the half-width for <see cref="JitterDistribution.Uniform"/> (each
    /// frame gets <see cref="Delay"/> ± up to this), the standard deviation for
    /// <see cref="JitterDistribution.Normal"/>. A frame's delay is never below zero. Default zero.
    /// </summary>
    public TimeSpan Jitter { get; set; }

    /// <summary>How <see cref="Jitter"/> is distributed; default <see cref="JitterDistribution.Uniform"/>.</summary>
    public JitterDistribution JitterDistribution { get; set; }

    /// <summary>Probability (0 to 1) that a frame is lost, independently of every other frame. Default 0.</summary>
    public double Loss { get; set; }

    /// <summary>
    /// Loss in bursts by the Gilbert–Elliott model, instead of <see cref="Loss"/> (set one or the other).
    /// Default null.
    /// </summary>
    public GilbertElliottLoss? BurstLoss { get; set; }

    /// <summary>Probability (0 to 1) that a frame is delivered twice. Default 0.</summary>
    public double Duplication { get; set; }

    /// <summary>
    /// Probability (0 to 1) that a frame is held back and delivered right after the next frame behind it,
    /// so the receiver sees the two swapped. Default 0.
    /// </summary>
    public double Reordering { get; set; }

    /// <summary>
    /// How long a frame held back for <see cref="Reordering"/> waits for a frame to overtake it; when none
    /// comes, it leaves in order (and is not counted as reordered). Default 10 ms.
    /// </summary>
    public TimeSpan ReorderTimeout { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The link's rate in bits per second, counting each frame's bytes from the Ethernet header on (no
    /// preamble or FCS); 0 (the default) means unlimited. Frames wait in a queue while the link is busy.
    /// </summary>
    public long RateBitsPerSecond { get; set; }

    /// <summary>
    /// With <see cref="RateBitsPerSecond"/>: how many frames may wait for the link; a frame arriving to a
    /// full queue is dropped (counted in <see cref="ImpairmentCounters.QueueDropped"/>). Default 1,000.
    /// Frames in flight on the delay line are not limited by it, only by <see cref="MaxQueueLimit"/>.
    /// </summary>
    public int QueueLimit { get; set; } = 1000;

    /// <summary>
    /// When false (the default), the frames the link itself needs — ARP, IGMP, IPv6 neighbour and router
    /// discovery and MLD — get <see cref="Delay"/> and the rate limit but are never lost, duplicated,
    /// reordered or jittered, and draw no random numbers: the decisions depend on your traffic alone.
    /// When true, they are impaired like any other frame.
    /// </summary>
    public bool ImpairLinkControl { get; set; }

    /// <summary>A copy of these settings.</summary>
    public ImpairmentSettings Clone() => (ImpairmentSettings)MemberwiseClone();

    /// <summary>Settings in ip/tc words, e.g. "delay 50ms jitter 5ms (normal) loss 20%"; "none" when nothing is impaired.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Delay > TimeSpan.Zero || Jitter > TimeSpan.Zero)
        {
            parts.Add("delay " + Format(Delay));
        }
        if (Jitter > TimeSpan.Zero)
        {
            parts.Add($"jitter {Format(Jitter)} ({JitterDistribution.ToString().ToLowerInvariant()})");
        }
        if (Loss > 0)
        {
            parts.Add("loss " + Percent(Loss));
        }
        if (BurstLoss is { } burst)
        {
            parts.Add("loss " + burst);
        }
        if (Duplication > 0)
        {
            parts.Add("duplicate " + Percent(Duplication));
        }
        if (Reordering > 0)
        {
            parts.Add($"reorder {Percent(Reordering)} within {Format(ReorderTimeout)}");
        }
        if (RateBitsPerSecond > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rate {RateBitsPerSecond}bit limit {QueueLimit}"));
        }
        return parts.Count == 0 ? "none" : string.Join(' ', parts);
    }

    // Every problem with these settings, each naming the setting and its value; empty when valid.
    internal List<string> Problems()
    {
        var problems = new List<string>();
        CheckTime(nameof(Delay), Delay, allowZero: true, problems);
        CheckTime(nameof(Jitter), Jitter, allowZero: true, problems);
        CheckTime(nameof(ReorderTimeout), ReorderTimeout, allowZero: false, problems);
        if (!Enum.IsDefined(JitterDistribution))
        {
            problems.Add($"{nameof(JitterDistribution)} is {(int)JitterDistribution}, which is not a defined distribution");
        }
        CheckProbability(nameof(Loss), Loss, problems);
        CheckProbability(nameof(Duplication), Duplication, problems);
        CheckProbability(nameof(Reordering), Reordering, problems);
        if (BurstLoss is { } burst)
        {
            CheckProbability(nameof(BurstLoss) + "." + nameof(burst.GoodToBad), burst.GoodToBad, problems);
            CheckProbability(nameof(BurstLoss) + "." + nameof(burst.BadToGood), burst.BadToGood, problems);
            CheckProbability(nameof(BurstLoss) + "." + nameof(burst.LossInGood), burst.LossInGood, problems);
            CheckProbability(nameof(BurstLoss) + "." + nameof(burst.LossInBad), burst.LossInBad, problems);
            if (Loss > 0)
            {
                problems.Add($"both {nameof(Loss)} and {nameof(BurstLoss)} are set; set one or the other");
            }
        }
        if (RateBitsPerSecond < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(RateBitsPerSecond)} is {RateBitsPerSecond}; it must be positive, or 0 for unlimited"));
        }
        if (QueueLimit is < 1 or > MaxQueueLimit)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(QueueLimit)} is {QueueLimit}; it must be between 1 and {MaxQueueLimit}"));
        }
        return problems;
    }

    private static void CheckTime(string name, TimeSpan value, bool allowZero, List<string> problems)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > MaxTime)
        {
            problems.Add($"{name} is {Format(value)}; it must be {(allowZero ? "zero or more" : "more than zero")} and at most one hour");
        }
    }

    private static void CheckProbability(string name, double value, List<string> problems)
    {
        if (!(value >= 0 && value <= 1))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is {value}; it must be a probability between 0 and 1 (0.2 is 20%)"));
        }
    }

    internal static string Format(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{(long)value.TotalMilliseconds}ms")
            : string.Create(CultureInfo.InvariantCulture, $"{value.TotalMicroseconds:0.###}us");

    internal static string Percent(double probability) => string.Create(CultureInfo.InvariantCulture, $"{probability * 100:0.####}%");
}

/// <summary>How <see cref="ImpairmentSettings.Jitter"/> varies the delay of each frame.</summary>
public enum JitterDistribution
{
    /// <summary>Evenly spread over <see cref="ImpairmentSettings.Delay"/> ± <see cref="ImpairmentSettings.Jitter"/>.</summary>
    Uniform,

    /// <summary>Gaussian around <see cref="ImpairmentSettings.Delay"/> with <see cref="ImpairmentSettings.Jitter"/> as standard deviation.</summary>
    Normal,
}

/// <summary>
/// Burst loss by the Gilbert–Elliott model: a two-state chain (Good, Bad) that moves once per frame. A
/// frame is judged in the state the chain is in when it arrives (lost with <see cref="LossInGood"/> or
/// <see cref="LossInBad"/>), then the chain moves: Good to Bad with <see cref="GoodToBad"/>, Bad to Good
/// with <see cref="BadToGood"/>. The chain starts Good.
/// </summary>
/// <param name="GoodToBad">Probability per frame of going from Good to Bad (p).</param>
/// <param name="BadToGood">Probability per frame of going from Bad to Good (r); bursts last 1/r frames on average.</param>
/// <param name="LossInGood">Probability that a frame is lost in the Good state (1 − k); default 0.</param>
/// <param name="LossInBad">Probability that a frame is lost in the Bad state (1 − h); default 1.</param>
public sealed record GilbertElliottLoss(double GoodToBad, double BadToGood, double LossInGood = 0, double LossInBad = 1)
{
    /// <summary>
    /// The simple Gilbert model with the given long-run loss rate and mean burst length: every frame in the
    /// Bad state is lost, none in the Good state.
    /// </summary>
    /// <param name="lossRate">The fraction of frames lost in the long run, above 0 and below 1.</param>
    /// <param name="meanBurstLength">The mean number of consecutive frames lost, at least 1.</param>
    public static GilbertElliottLoss FromBursts(double lossRate, double meanBurstLength)
    {
        if (!(lossRate > 0 && lossRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(lossRate), lossRate, "The loss rate must be above 0 and below 1 (0.05 is 5%).");
        }
        if (!(meanBurstLength >= 1) || double.IsInfinity(meanBurstLength))
        {
            throw new ArgumentOutOfRangeException(nameof(meanBurstLength), meanBurstLength, "The mean burst length is a number of frames, at least 1.");
        }
        double badToGood = 1 / meanBurstLength;
        double goodToBad = lossRate * badToGood / (1 - lossRate);
        if (goodToBad > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(meanBurstLength), meanBurstLength,
                string.Create(CultureInfo.InvariantCulture, $"A loss rate of {lossRate} needs bursts of at least {lossRate / (1 - lossRate):0.###} frames on average."));
        }
        return new GilbertElliottLoss(goodToBad, badToGood);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"gemodel p {ImpairmentSettings.Percent(GoodToBad)} r {ImpairmentSettings.Percent(BadToGood)} 1-h {ImpairmentSettings.Percent(LossInBad)} 1-k {ImpairmentSettings.Percent(LossInGood)}";
}
