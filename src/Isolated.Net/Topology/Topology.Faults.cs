using System.Net.Sockets;
using Isolated.Net.Faults;

namespace Isolated.Net;

// Partitions and the topology-wide fault reset (faults on single links and interfaces live on Link
// and HostInterface).
public sealed partial class Topology
{
    private TopologyFaults? _faults;

    internal TopologyFaults? FaultsIfAny => Volatile.Read(ref _faults);

    internal TopologyFaults Faults
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return LazyInitializer.EnsureInitialized(ref _faults, () => new TopologyFaults(this, _logger));
        }
    }

    /// <summary>
    /// Cuts <paramref name="host"/> off from every other host and router, and from its published
    /// ports: packets between them are dropped in both directions, silently (established TCP
    /// connections stall and retransmit rather than reset; UDP datagrams vanish). <see cref="Heal"/>
    /// restores them.
    /// </summary>
    /// <param name="host">A host or router name.</param>
    /// <exception cref="KeyNotFoundException">The name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">Neither nftables nor the BPF fault filter works here; the message says why each does not.</exception>
    public void Isolate(string host) => Isolate(host, CutMode.Drop);

    /// <summary>
    /// Cuts <paramref name="host"/> off from every other host and router, and from its published ports,
    /// in both directions: <see cref="CutMode.Drop"/> silently, or <see cref="CutMode.Reject"/> with
    /// TCP resets and ICMP errors so that peers fail at once. <see cref="Heal"/> restores them.
    /// </summary>
    /// <param name="host">A host or router name.</param>
    /// <param name="mode">Drop or reject.</param>
    /// <exception cref="KeyNotFoundException">The name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">No mechanism here can make this cut (rejecting needs nftables); the message says why.</exception>
    public void Isolate(string host, CutMode mode)
    {
        var isolated = this[host];
        var options = new CutOptions { Mode = mode };
        options.Validate();
        var rules = new List<CutRule>();
        foreach (var other in _hostOrder.Where(h => h != isolated))
        {
            rules.Add(new CutRule(isolated.Name, other.Name, mode, null, null));
            rules.Add(new CutRule(other.Name, isolated.Name, mode, null, null));
        }
        Faults.Cut(rules, isolated);
    }

    /// <summary>
    /// Cuts traffic between two hosts: by default all of it, both ways, dropped; with
    /// <paramref name="options"/> one way only (<see cref="CutOptions.OneWay"/>: from
    /// <paramref name="from"/> to <paramref name="to"/>), one protocol and destination port, and
    /// rejected rather than dropped. Cuts add up until <see cref="Heal"/>. Packets are stopped where
    /// they arrive, so a cut holds whatever route they take, and open connections are cut too.
    /// </summary>
    /// <param name="from">The host whose packets are cut.</param>
    /// <param name="to">The host that stops hearing them (and, unless one way, whose packets are cut on the way back).</param>
    /// <param name="options">Direction, protocol and port, drop or reject; null for <see cref="CutOptions.Default"/>.</param>
    /// <example><code>
    /// net.Cut("leader", "follower", new CutOptions { OneWay = true });                       // leader's packets lost, the reverse delivered
    /// net.Cut("app", "db", new CutOptions { Protocol = ProtocolType.Tcp, Port = 5432, Mode = CutMode.Reject });
    /// </code></example>
    /// <exception cref="ArgumentException">The two names are the same host; the options contradict each other.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">No mechanism here can make this cut (protocol, port and reject cuts need nftables); the message says why.</exception>
    public void Cut(string from, string to, CutOptions? options = null) => Cut([from], [to], options);

    /// <summary>
    /// Cuts traffic between every host of <paramref name="from"/> and every host of <paramref name="to"/>,
    /// as <see cref="Cut(string, string, CutOptions?)"/> does for one pair.
    /// </summary>
    /// <param name="from">Hosts whose packets are cut.</param>
    /// <param name="to">Hosts that stop hearing them.</param>
    /// <param name="options">Direction, protocol and port, drop or reject; null for <see cref="CutOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">A group is empty, or a host is in both groups; the options contradict each other.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">No mechanism here can make this cut; the message says why.</exception>
    public void Cut(IReadOnlyList<string> from, IReadOnlyList<string> to, CutOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        options ??= CutOptions.Default;
        options.Validate();
        if (from.Count == 0 || to.Count == 0)
        {
            throw new ArgumentException("A cut needs at least one host on each side.", from.Count == 0 ? nameof(from) : nameof(to));
        }
        var sources = from.Select(name => this[name]).Distinct().ToList();
        var targets = to.Select(name => this[name]).Distinct().ToList();
        if (sources.Intersect(targets).FirstOrDefault() is { } both)
        {
            throw new ArgumentException($"Host '{both.Name}' is on both sides of the cut; a host cannot be cut from itself.", nameof(to));
        }
        var rules = new List<CutRule>();
        foreach (var a in sources)
        {
            foreach (var b in targets)
            {
                rules.Add(new CutRule(a.Name, b.Name, options.Mode, options.Protocol, options.Port));
                if (!options.OneWay)
                {
                    rules.Add(new CutRule(b.Name, a.Name, options.Mode, options.Protocol, options.Port));
                }
            }
        }
        Faults.Cut(rules);
    }

    /// <summary>
    /// Makes an exception to the cuts in force, until <see cref="Heal"/>: packets from <paramref name="from"/>
    /// to <paramref name="to"/> (all of them, one protocol, or one protocol and destination port) pass, and so
    /// do <paramref name="to"/>'s answers from that port; everything else stays cut. A firewall's "allow"
    /// before its "deny", e.g. cut a client off from a database host except for the database port.
    /// </summary>
    /// <param name="from">The host whose packets pass.</param>
    /// <param name="to">The host that receives them.</param>
    /// <param name="protocol">Only this protocol (TCP, UDP, ICMP or ICMPv6); null for all.</param>
    /// <param name="port">Only this destination port on <paramref name="to"/> (TCP or UDP); null for all.</param>
    /// <example><code>
    /// net.Cut("app", "db");                                  // nothing between them...
    /// net.Allow("app", "db", ProtocolType.Tcp, 5432);        // ...except the database connection
    /// </code></example>
    /// <exception cref="ArgumentException">The two names are the same host; a port without TCP or UDP.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The protocol is not TCP, UDP, ICMP or ICMPv6; the port is outside 1–65535.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">nftables does not work here (the BPF fallback cannot make exceptions); the message says why.</exception>
    public void Allow(string from, string to, ProtocolType? protocol = null, int? port = null)
    {
        new CutOptions { Protocol = protocol, Port = port }.Validate();
        var (source, target) = (this[from], this[to]);
        if (source == target)
        {
            throw new ArgumentException($"Host '{source.Name}' is on both sides of the exception; a host is never cut from itself.", nameof(to));
        }
        Faults.Allow([new AllowRule(source.Name, target.Name, protocol, port)]);
    }

    /// <summary>The cuts in force, one per direction, e.g. "a -> b drop" or "app -> db tcp dport 5432 reject", then the exceptions ("app -> db tcp dport 5432 allow").</summary>
    public IReadOnlyList<string> ActiveCuts => _faults is null ? [] : Faults.DescribeCuts();

    /// <summary>
    /// Splits hosts into groups that cannot reach each other: every pair of hosts in different groups
    /// is cut (packets dropped silently both ways), hosts in the same group still talk, and hosts not
    /// named keep talking to everyone. Cuts add up over calls until <see cref="Heal"/>.
    /// </summary>
    /// <param name="groups">Two or more disjoint, non-empty groups of host names, e.g. <c>Partition(["n1", "n2"], ["n3"])</c>.</param>
    /// <exception cref="ArgumentException">Fewer than two groups, an empty group, or a host in two groups.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">Neither nftables nor the BPF fault filter works here; the message says why each does not.</exception>
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
        var rules = new List<CutRule>();
        for (int i = 0; i < resolved.Count; i++)
        {
            for (int j = 0; j < resolved.Count; j++)
            {
                if (i != j)
                {
                    rules.AddRange(resolved[i].SelectMany(a => resolved[j].Select(b => new CutRule(a.Name, b.Name, CutMode.Drop, null, null))));
                }
            }
        }
        Faults.Cut(rules);
    }

    /// <summary>Removes every cut made by <see cref="Isolate(string)"/>, <see cref="Partition"/> and <see cref="Cut(string, string, CutOptions?)"/>, and every exception made by <see cref="Allow"/>; stalled TCP connections resume. NAT stays.</summary>
    public void Heal()
    {
        if (_faults is not null)
        {
            Faults.Heal();
        }
    }

    /// <summary>True when a cut of all traffic (a partition, an isolation, or a whole cut in either direction) separates the two hosts.</summary>
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
