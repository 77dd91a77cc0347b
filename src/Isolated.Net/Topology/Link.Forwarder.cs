namespace Isolated.Net;

// The userspace forwarder of an impaired link (TopologyBuilder.ImpairedLink).
public sealed partial class Link
{
    /// <summary>True for links built with <see cref="TopologyBuilder.ImpairedLink"/>.</summary>
    public bool HasForwarder => ForwarderCore is not null;

    /// <summary>
    /// The forwarder of a link built with <see cref="TopologyBuilder.ImpairedLink"/>: each direction's
    /// settings, changeable at any time, and counters, e.g. <c>link.Forwarder.AtoB.Update(s => s.Loss = 0.3)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The link is a plain veth link.</exception>
    public ImpairedLinkForwarder Forwarder => ForwarderCore
        ?? throw new InvalidOperationException($"Link {Name} is a veth link; build it with TopologyBuilder.ImpairedLink to impair it.");

    internal ImpairedLinkForwarder? ForwarderCore { get; init; }
}
