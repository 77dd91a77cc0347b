using Isolated.Net.Faults;

namespace Isolated.Net;

// Partitions and the topology-wide fault reset (faults on single links and interfaces live on Link
// and HostInterface).
public sealed partial class Topology
{
    private TopologyFaults? _faults;

    internal TopologyFaults Faults
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return LazyInitializer.EnsureInitialized(ref _faults, () => new TopologyFaults(this, _logger));
        }
    }

    /// <summary>
    /// Cuts <paramref name="host"/> off from every other host and router: packets between them are
    /// dropped in both directions, silently (established TCP connections stall and retransmit rather
    /// than reset; UDP datagrams vanish). <see cref="Heal"/> restores them.
    /// </summary>
    /// <param name="host">A host or router name.</param>
    /// <exception cref="NotSupportedException">The kernel lacks the BPF classifier (see <see cref="KernelFeatures.BpfClassifier"/>).</exception>
    public void Isolate(string host)
    {
        var isolated = this[host];
        Faults.Cut([.. _hostOrder.Where(h => h != isolated).Select(h => (isolated, h))]);
    }

    /// <summary>
    /// Splits hosts into groups that cannot reach each other: every pair of hosts in different groups
    /// is cut (packets dropped silently both ways), hosts in the same group still talk, and hosts not
    /// named keep talking to everyone. Cuts add up over calls until <see cref="Heal"/>.
    /// </summary>
    /// <param name="groups">Two or more disjoint, non-empty groups of host names, e.g. <c>Partition(["n1", "n2"], ["n3"])</c>.</param>
    /// <exception cref="ArgumentException">Fewer than two groups, an empty group, or a host in two groups.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">The kernel lacks the BPF classifier (see <see cref="KernelFeatures.BpfClassifier"/>).</exception>
    public void Partition(params IReadOnlyList<string>[] groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Length < 2)
        {
            throw new ArgumentException($"A partition needs at least two groups of hosts; got {groups.Length}.", nameof(groups));
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var resolved = new List<List<NetHost>>();
        for (int i = 0; i < groups.Length; i++)
        {
            var group = groups[i] ?? throw new ArgumentException($"Group {i + 1} of the partition is null.", nameof(groups));
            if (group.Count == 0)
            {
                throw new ArgumentException($"Group {i + 1} of the partition is empty.", nameof(groups));
            }
            var hosts = new List<NetHost>();
            foreach (var name in group)
            {
                var host = this[name];
                if (seen.TryGetValue(name, out int other))
                {
                    throw new ArgumentException(other == i
                        ? $"Host '{name}' is named twice in group {i + 1} of the partition."
                        : $"Host '{name}' is in groups {other + 1} and {i + 1} of the partition; a host belongs to one side.", nameof(groups));
                }
                seen.Add(name, i);
                hosts.Add(host);
            }
            resolved.Add(hosts);
        }
        var pairs = new List<(NetHost, NetHost)>();
        for (int i = 0; i < resolved.Count; i++)
        {
            for (int j = i + 1; j < resolved.Count; j++)
            {
                pairs.AddRange(resolved[i].SelectMany(a => resolved[j].Select(b => (a, b))));
            }
        }
        Faults.Cut(pairs);
    }

    /// <summary>Removes every cut made by <see cref="Isolate"/> and <see cref="Partition"/>; stalled TCP connections resume.</summary>
    public void Heal()
    {
        if (_faults is not null)
        {
            Faults.Heal();
        }
    }

    /// <summary>True when a partition or an isolation separates the two hosts.</summary>
    /// <param name="first">A host name.</param>
    /// <param name="second">Another host name.</param>
    public bool AreSeparated(string first, string second)
    {
        var (a, b) = (this[first], this[second]);
        return _faults is not null && Faults.IsCut(a, b);
    }

    /// <summary>
    /// Returns the whole topology to its clean state: heals every partition, clears every
    /// impairment and brings back up every interface set down through the fault API.
    /// </summary>
    public void ClearFaults()
    {
        if (_faults is not null)
        {
            Faults.ClearAll();
        }
    }
}
