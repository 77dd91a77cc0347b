namespace Isolated.Net;

public sealed partial class Link
{
    /// <summary>True for links built with <see cref="TopologyBuilder.ImpairedLink"/>.</summary>
    public bool IsImpaired => ImpairmentCore is not null;

    /// <summary>
    /// The running impairment of a link built with <see cref="TopologyBuilder.ImpairedLink"/>: settings per
    /// direction, changeable at any time, and counters.
    /// </summary>
    /// <exception cref="InvalidOperationException">The link is a plain veth link.</exception>
    public LinkImpairment Impairment => ImpairmentCore
        ?? throw new InvalidOperationException($"Link {Name} is a veth link; build it with TopologyBuilder.ImpairedLink to impair it.");

    internal LinkImpairment? ImpairmentCore { get; init; }
}
