namespace Isolated.Net;

/// <summary>
/// One direction of an impaired link while it runs: its settings, changeable at any time, and its
/// counters. Obtained from <see cref="ImpairedLinkForwarder.AtoB"/> and <see cref="ImpairedLinkForwarder.BtoA"/>.
/// </summary>
public sealed class ImpairedDirection
{
    private DirectionSettings _settings;

    // Written only by the direction's forwarder thread; read from anywhere (64-bit reads are atomic).
    internal long ReceivedCount;
    internal long PassedCount;
    internal long DroppedCount;
    internal long QueueDroppedCount;
    internal long DuplicatedCount;
    internal long DelayedCount;
    internal long ReorderedCount;
    internal long UndeliverableCount;
    internal long BytesPassedCount;

    private readonly LatenessHistogram _lateness = new();

    internal ImpairedDirection(string from, string to, DirectionSettings settings)
    {
        From = from;
        To = to;
        _settings = settings;
    }

    /// <summary>Where the frames come from: the host (or "switch 'lan'") at this direction's start.</summary>
    public string From { get; }

    /// <summary>Where the frames go.</summary>
    public string To { get; }

    /// <summary>A copy of the settings in force; changing the copy changes nothing until passed to <see cref="Set"/>.</summary>
    public ImpairmentSettings Settings => _settings.Source.Clone();

    /// <summary>A snapshot of the counters.</summary>
    public ImpairmentCounters Counters => new(
        Volatile.Read(ref ReceivedCount),
        Volatile.Read(ref PassedCount),
        Volatile.Read(ref DroppedCount),
        Volatile.Read(ref QueueDroppedCount),
        Volatile.Read(ref DuplicatedCount),
        Volatile.Read(ref DelayedCount),
        Volatile.Read(ref ReorderedCount),
        Volatile.Read(ref UndeliverableCount),
        Volatile.Read(ref BytesPassedCount));

    /// <summary>
    /// How late the forwarder sent the frames it held, so far: a snapshot. A frame's applied delay is its
    /// drawn delay plus its lateness; on a busy machine without real-time priority the lateness grows.
    /// </summary>
    public ImpairmentLateness Lateness => _lateness.Snapshot();

    // Set by tests before traffic flows: the forwarder then records each frame's times.
    internal FrameTrace? Trace { get; set; }

    internal DirectionSettings Current => Volatile.Read(ref _settings);

    /// <summary>
    /// Replaces the settings. They apply to frames that arrive from now on; frames already on their way
    /// keep the times they were given. The random stream carries on where it was.
    /// </summary>
    /// <param name="settings">The new settings (copied).</param>
    /// <exception cref="ArgumentException">A setting is out of range; the message names each one.</exception>
    public void Set(ImpairmentSettings settings)
    {
        Volatile.Write(ref _settings, DirectionSettings.From(settings, ToString(), nameof(settings)));
        Changed?.Invoke(this);
    }

    // The forwarder: turns the source TAP's offloads off while a per-packet impairment is set.
    internal Action<ImpairedDirection>? Changed { get; set; }

    /// <summary>Changes some settings, keeping the others: <c>link.Forwarder.AtoB.Update(i => i.Loss = 0.3)</c>.</summary>
    /// <param name="change">Edits a copy of the current settings, which then replaces them (see <see cref="Set"/>).</param>
    public void Update(Action<ImpairmentSettings> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var settings = Settings;
        change(settings);
        Set(settings);
    }

    /// <summary>Removes every impairment of this direction: frames pass straight through.</summary>
    public void Clear() => Set(new ImpairmentSettings());

    /// <inheritdoc />
    public override string ToString() => $"{From} -> {To}";

    internal void RecordLateness(long ticks) => _lateness.Record(ticks);
}
