namespace Isolated.Net;

/// <summary>
/// How an impaired link treats each direction, and the seed its decisions come from. A is the first
/// host named (for a switch connection: the host), B the second (the switch).
/// </summary>
/// <example>
/// <code>
/// .ImpairedLink("client", "server", o =>
/// {
///     o.Seed = 42;
///     o.Both(i => i.Delay = TimeSpan.FromMilliseconds(50));
///     o.AtoB.Loss = 0.02;
/// })
/// </code>
/// </example>
public sealed class ImpairedLinkOptions
{
    /// <summary>
    /// Seeds the link's random decisions; default 0. The seed feeds SplitMix64, whose first four outputs
    /// seed A→B's xoshiro256** generator and the next four B→A's. The same seed and the same frames give
    /// the same decisions, run after run.
    /// </summary>
    public ulong Seed { get; set; }

    /// <summary>
    /// When true (the default), the forwarder's two threads ask for real-time priority (SCHED_FIFO,
    /// priority 1, the lowest), so a busy machine — a parallel test run, a build — does not make frames
    /// leave late. Measured on 2 CPUs at a load average of 20: at normal priority frames left about
    /// 1 ms after their deadline on average and up to 50 ms; at real-time priority a few microseconds on
    /// average, rarely more than 0.5 ms. The threads run only while frames are due (spinning through the
    /// last 120 µs before a deadline, and for request/response traffic polling up to 250 µs for the answer
    /// after the other direction delivers). It needs
    /// CAP_SYS_NICE (root has it); without it they keep normal priority.
    /// <see cref="ImpairedLinkForwarder.IsRealTime"/> says what they got.
    /// </summary>
    public bool RealTimePriority { get; set; } = true;

    // Tests: record each frame's times (FrameTrace) from the forwarder's first frame, up to this many.
    internal int TraceCapacity { get; set; }

    /// <summary>What happens to frames from A to B.</summary>
    public ImpairmentSettings AtoB { get; } = new();

    /// <summary>What happens to frames from B to A.</summary>
    public ImpairmentSettings BtoA { get; } = new();

    /// <summary>Applies <paramref name="configure"/> to both directions.</summary>
    /// <param name="configure">Sets impairment properties, e.g. <c>i => i.Delay = TimeSpan.FromMilliseconds(20)</c>.</param>
    /// <returns>These options.</returns>
    public ImpairedLinkOptions Both(Action<ImpairmentSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(AtoB);
        configure(BtoA);
        return this;
    }
}
