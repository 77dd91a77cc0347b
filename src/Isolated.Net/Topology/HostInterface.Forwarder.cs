namespace Isolated.Net;

// The userspace forwarder behind an end of an impaired link or an impaired switch connection.
public sealed partial class HostInterface
{
    /// <summary>
    /// True when this interface is an end of an impaired link (<see cref="TopologyBuilder.ImpairedLink"/>)
    /// or an impaired switch connection (<see cref="TopologyBuilder.ConnectImpaired"/>).
    /// </summary>
    public bool HasForwarder => ForwarderCore is not null;

    /// <summary>
    /// The forwarder of this interface's impaired link or switch connection. For a switch connection A
    /// is the host and B the switch, so <see cref="ImpairedLinkForwarder.AtoB"/> is what the host sends.
    /// </summary>
    /// <exception cref="InvalidOperationException">The interface is a plain veth end.</exception>
    public ImpairedLinkForwarder Forwarder => ForwarderCore
        ?? throw new InvalidOperationException($"Interface {this} is a veth end; connect it with TopologyBuilder.ImpairedLink or ConnectImpaired to impair it.");

    internal ImpairedLinkForwarder? ForwarderCore { get; init; }
}
