namespace Isolated.Net;

// Faults on one end of a link or one switch port.
public sealed partial class HostInterface
{
    /// <summary>True while the interface is down through <see cref="SetDown"/> (or <see cref="Link.SetDown"/>).</summary>
    public bool IsDown => Host.Topology.Faults.IsDown(this);

    /// <summary>The impairment of traffic leaving through this interface (<see cref="KernelImpairment.None"/> when clean).</summary>
    public KernelImpairment OutboundImpairment => Host.Topology.Faults.GetImpairment(this, outbound: true);

    /// <summary>The impairment of traffic arriving at this interface (<see cref="KernelImpairment.None"/> when clean).</summary>
    public KernelImpairment InboundImpairment => Host.Topology.Faults.GetImpairment(this, outbound: false);

    /// <summary>
    /// Takes this end down (<c>ip link set dev NAME down</c> inside the host): the host loses the
    /// segment, and the other end loses carrier. The IPv6 addresses and routes the kernel drops with
    /// it are remembered for <see cref="SetUp"/>.
    /// </summary>
    public void SetDown() => Host.Topology.Faults.SetDown([this]);

    /// <summary>Brings this end back up and restores its IPv6 addresses and the routes through it.</summary>
    public void SetUp() => Host.Topology.Faults.SetUp([this]);

    /// <summary>
    /// Impairs the traffic leaving through this interface (towards the other end of the link, or
    /// into the switch). Replaces the outbound impairment there was; <see cref="KernelImpairment.None"/> clears.
    /// </summary>
    /// <param name="impairment">Bandwidth, loss and (with sch_netem) latency, jitter, duplication, reordering.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    /// <exception cref="NotSupportedException">
    /// The impairment needs something the kernel lacks: latency, jitter, duplication or reordering
    /// need sch_netem (<see cref="KernelFeatures.Netem"/>); the message names the module.
    /// </exception>
    public void Impair(KernelImpairment impairment) => Host.Topology.Faults.Impair(this, outbound: true, impairment);

    /// <summary>
    /// Impairs the traffic arriving at this interface (from the other end of the link, or from the
    /// switch). On a link this is the same direction as the other end's outbound traffic.
    /// </summary>
    /// <param name="impairment">Bandwidth, loss and (with sch_netem) latency, jitter, duplication, reordering.</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    /// <exception cref="NotSupportedException">The impairment needs something the kernel lacks; the message names the module.</exception>
    public void ImpairInbound(KernelImpairment impairment) => Host.Topology.Faults.Impair(this, outbound: false, impairment);

    /// <summary>Clears the impairments of both directions of this interface.</summary>
    public void ClearImpairment()
    {
        Impair(KernelImpairment.None);
        ImpairInbound(KernelImpairment.None);
    }
}
