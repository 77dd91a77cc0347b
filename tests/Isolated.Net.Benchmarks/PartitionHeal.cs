using Isolated.Net.Faults;

namespace Isolated.Net.Benchmarks;

// (j) The cost of one Partition + Heal on a 3-host switch, per cut mechanism: with nftables, a table
// replaced in each host that hears a cut side, then deleted; with BPF, the fault filter attached to
// each interface's ingress and its cut map filled, then emptied and the filter removed.
internal static class PartitionHeal
{
    /// <summary>A built 3-host switch that cuts with <paramref name="mechanism"/>, or null with the reason it cannot here.</summary>
    public static Topology? ThreeHostSwitch(CutMechanism mechanism, out string? skipReason)
    {
        var net = new TopologyBuilder()
            .AddSwitch("lan")
            .AddHost("a").Connect("a", "lan")
            .AddHost("b").Connect("b", "lan")
            .AddHost("c").Connect("c", "lan")
            .Build();
        net.Faults.PreferredMechanism = mechanism;
        try
        {
            Once(net);
        }
        catch (NotSupportedException unsupported)
        {
            net.Dispose();
            skipReason = unsupported.Message;
            return null;
        }
        if (net.Faults.Mechanism != mechanism)
        {
            net.Dispose();
            skipReason = $"{mechanism} was asked for but {net.Faults.Mechanism} was chosen";
            return null;
        }
        skipReason = null;
        return net;
    }

    public static void Once(Topology net)
    {
        net.Partition(["a"], ["b", "c"]);
        net.Heal();
    }
}
