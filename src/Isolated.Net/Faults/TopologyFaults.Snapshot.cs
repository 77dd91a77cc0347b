namespace Isolated.Net.Faults;

// The faults in force, read for Topology.ToFile so a saved topology replays them.
internal sealed partial class TopologyFaults
{
    public FaultSnapshot Snapshot()
    {
        lock (_lock)
        {
            var impairments = new List<(HostInterface Interface, bool Outbound, KernelImpairment Impairment)>();
            foreach (var hostInterface in _hostDevices.Keys)
            {
                foreach (bool outbound in new[] { true, false })
                {
                    var impairment = GetImpairment(hostInterface, outbound);
                    if (!impairment.IsNone)
                    {
                        impairments.Add((hostInterface, outbound, impairment));
                    }
                }
            }
            return new FaultSnapshot(
                [.. _isolated.Order(StringComparer.Ordinal)],
                [.. _cuts.OrderBy(c => c.ToString(), StringComparer.Ordinal)],
                [.. _allows.OrderBy(a => a.ToString(), StringComparer.Ordinal)],
                [.. _down.Keys],
                impairments);
        }
    }
}

internal sealed record FaultSnapshot(
    IReadOnlyList<string> Isolated,
    IReadOnlyList<CutRule> Cuts,
    IReadOnlyList<AllowRule> Allows,
    IReadOnlyList<HostInterface> Down,
    IReadOnlyList<(HostInterface Interface, bool Outbound, KernelImpairment Impairment)> Impairments);
