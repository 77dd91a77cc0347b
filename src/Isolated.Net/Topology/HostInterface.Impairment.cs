namespace Isolated.Net;

public sealed partial class HostInterface
{
    /// <summary>
    /// True when this interface is an end of an impaired link (<see cref="TopologyBuilder.ImpairedLink"/>)
    /// or an impaired switch connection (<see cref="TopologyBuilder.ConnectImpaired"/>).
    /// </summary>
    public bool IsImpaired => ImpairmentCore is not null;

    /// <summary>
    /// The running impairment of this interface's link or switch connection. For a switch connection A
    /// is the host and B the switch, so <see cref="LinkImpairment.AtoB"/> is what the host sends.
    /// </summary>
    /// <exception cref="InvalidOperationException">The interface is a plain veth end.</exception>
    public LinkImpairment Impairment => ImpairmentCore
        ?? throw new InvalidOperationException($"Interface {this} is a veth end; connect it with TopologyBuilder.ImpairedLink or ConnectImpaired to impair it.");

    internal LinkImpairment? ImpairmentCore { get; init; }
}
