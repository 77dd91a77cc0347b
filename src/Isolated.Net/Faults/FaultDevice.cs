using System.Globalization;

namespace Isolated.Net.Faults;

// One veth end whose qdiscs and filters fault injection manages: a host's interface, or the hub side
// of a switch port (Host null). Holds what is applied to it, so changes are made as differences and
// clearing returns it to what the topology built.
internal sealed class FaultDevice(NetworkNamespace ns, int index, string description, NetHost? host)
{
    public NetworkNamespace Namespace { get; } = ns;

    public int Index { get; } = index;

    /// <summary>Host whose cut map this device's filter consults; null for a hub port.</summary>
    public NetHost? Host { get; } = host;

    /// <summary>The impairment of the direction that leaves through this device (its bandwidth and netem live here).</summary>
    public KernelImpairment Leaving { get; set; } = KernelImpairment.None;

    /// <summary>The impairment of the direction that arrives at this device (its loss lives here).</summary>
    public KernelImpairment Arriving { get; set; } = KernelImpairment.None;

    /// <summary>The qdisc part of <see cref="Leaving"/> now installed, or null for the kernel's default.</summary>
    public KernelImpairment? InstalledQdisc { get; set; }

    public bool FilterAttached { get; set; }

    /// <summary>False when a clsact qdisc was there before us: we then remove only our filter.</summary>
    public bool ClsactIsOurs { get; set; }

    public uint LossMapId { get; set; }

    /// <summary>The (percent, seed) last written to the loss map; rewriting restarts the packet count.</summary>
    public (double Percent, int Seed) WrittenLoss { get; set; }

    public override string ToString() => Host is null
        ? description
        : string.Create(CultureInfo.InvariantCulture, $"{description} (#{Index})");
}
