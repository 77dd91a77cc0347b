namespace Isolated.Net;

/// <summary>
/// The forwarder of a link built with <see cref="TopologyBuilder.ImpairedLink"/> (or of a switch
/// connection built with <see cref="TopologyBuilder.ConnectImpaired"/>): both ends are TAP devices and
/// two threads of this process move every Ethernet frame between them, delaying, dropping, duplicating
/// and reordering as each direction's <see cref="ImpairmentSettings"/> say. Reach it through
/// <see cref="Link.Forwarder"/> or <see cref="HostInterface.Forwarder"/>. It stops, and its fds close,
/// when either end's namespace is disposed (so with the topology) or either end's interface is deleted.
/// </summary>
/// <remarks>
/// This is the userspace path: it works on any kernel with TUN/TAP and replays exactly from its seed.
/// <see cref="Link.Impair(KernelImpairment)"/> is the kernel path (tc, netem, BPF) for veth links and ports.
/// </remarks>
public sealed class ImpairedLinkForwarder
{
    private readonly TapForwarder _forwarder;

    internal ImpairedLinkForwarder(string name, ulong seed, ImpairedDirection aToB, ImpairedDirection bToA, TapForwarder forwarder)
    {
        Name = name;
        Seed = seed;
        AtoB = aToB;
        BtoA = bToA;
        _forwarder = forwarder;
    }

    /// <summary>The link's name, as <see cref="Link.Name"/>.</summary>
    public string Name { get; }

    /// <summary>The seed the link was built with (<see cref="ImpairedLinkOptions.Seed"/>).</summary>
    public ulong Seed { get; }

    /// <summary>From the first host named to the second.</summary>
    public ImpairedDirection AtoB { get; }

    /// <summary>From the second host named to the first.</summary>
    public ImpairedDirection BtoA { get; }

    /// <summary>
    /// True while the forwarder runs; false once either end's namespace was disposed, an end's interface
    /// was deleted, or the forwarder failed (<see cref="Failure"/> says why).
    /// </summary>
    public bool IsRunning => _forwarder.IsRunning;

    /// <summary>What stopped the forwarder if it failed; null while it runs or after an orderly stop.</summary>
    public Exception? Failure => _forwarder.Failure;

    /// <summary>True when both forwarder threads run at real-time priority (see <see cref="ImpairedLinkOptions.RealTimePriority"/>).</summary>
    public bool IsRealTime => _forwarder.IsRealTime;

    /// <summary>Kernel thread ids of the forwarder's two threads (one per direction), for diagnostics.</summary>
    public IReadOnlyList<int> ThreadIds => _forwarder.ThreadIds;

    /// <inheritdoc />
    public override string ToString() => $"impaired link {Name}: {AtoB} {AtoB.Settings}; {BtoA} {BtoA.Settings}; {Priority}";

    private string Priority => !_forwarder.RealTimePriority
        ? "forwarder at normal priority (RealTimePriority = false)"
        : _forwarder.IsRealTime
            ? "forwarder at real-time priority"
            : "forwarder at normal priority: SCHED_FIFO was refused (it needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 1), so frames leave late when the machine is busy";
}
