namespace Isolated.Net;

// Faults on a whole link: both ends, both directions.
public sealed partial class Link
{
    /// <summary>True while either end is down through <see cref="SetDown"/> or <see cref="HostInterface.SetDown"/>.</summary>
    public bool IsDown => First.IsDown || Second.IsDown;

    /// <summary>
    /// Takes both ends down (<c>ip link set dev … down</c> in each host), as if the cable were cut.
    /// Established TCP connections over it stall; <see cref="SetUp"/> restores it. Use
    /// <see cref="HostInterface.SetDown"/> on <see cref="First"/> or <see cref="Second"/> for one end only.
    /// </summary>
    public void SetDown() => First.Host.Topology.Faults.SetDown([First, Second]);

    /// <summary>
    /// Brings both ends back up and restores what the kernel dropped with them (IPv6 addresses and
    /// the routes through each end).
    /// </summary>
    public void SetUp() => First.Host.Topology.Faults.SetUp([First, Second]);

    /// <summary>
    /// Applies the same impairment to both directions: <paramref name="impairment"/> on
    /// <see cref="First"/>'s outbound traffic and on <see cref="Second"/>'s. Replaces what was there.
    /// </summary>
    /// <param name="impairment">The impairment; <see cref="KernelImpairment.None"/> clears.</param>
    /// <exception cref="NotSupportedException">The impairment needs a qdisc the kernel lacks (latency and the rest need sch_netem).</exception>
    public void Impair(KernelImpairment impairment)
    {
        First.Impair(impairment);
        Second.Impair(impairment);
    }

    /// <summary>Clears the impairments of both directions.</summary>
    public void ClearImpairment() => Impair(KernelImpairment.None);
}
