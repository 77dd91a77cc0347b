using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netfilter;

namespace Isolated.Net.Faults;

// Cuts with nftables: each host that cuts arriving traffic gets one inet table, isolated_net, whose input
// chain drops or rejects what its cuts name; a NAT router's table holds its nat chains too (see
// TopologyFaults.Nat.cs). The whole table is replaced in one transaction when its rules change, and
// deleted when it has none left; disposing the host's namespace frees it anyway.
internal sealed partial class TopologyFaults
{
    // IPv6 neighbour solicitations and advertisements: a one-way cut must not stop address resolution,
    // or the direction that is still open could not find its way back (ARP is not in inet tables).
    private static readonly byte[] NeighbourDiscoveryTypes = [135, 136];

    /// <summary>The socket mark of the published-port proxy's connections into a host; isolation cuts them too.</summary>
    internal const uint PublishedPortMark = PublishedPort.Mark;

    /// <summary>What the host's table holds now, in nft words; empty when it has none.</summary>
    public string DescribeFirewall(NetHost host)
    {
        lock (_lock)
        {
            return _firewalls.TryGetValue(host, out var text) ? text : "";
        }
    }

    // Runs under _lock. Equivalent to: nft -f - <<< 'table inet isolated_net; delete table inet isolated_net; table inet isolated_net { chain input { ... } }'
    private void ApplyFirewall(NetHost host)
    {
        var ruleset = FirewallOf(host);
        string text = ruleset.IsEmpty ? "" : ruleset.ToString();
        string installed = _firewalls.GetValueOrDefault(host, "");
        if (text == installed)
        {
            return;
        }
        if (ruleset.IsEmpty)
        {
            NftTable.Clear(host.Namespace, ruleset.Table);
            _firewalls.Remove(host);
        }
        else
        {
            NftTable.Apply(host.Namespace, ruleset);
            _firewalls[host] = text;
        }
    }

    private const byte TcpReset = 0x04;

    private static IPNetwork HostNetwork(IPAddress address) => new(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);

    private static IEnumerable<NftRule> RulesOf(CutRule cut, IPNetwork source)
    {
        if (cut.Mode == CutMode.Reject && cut.Protocol is null)
        {
            // TCP gets a reset (connect: ConnectionRefused), everything else an ICMP port unreachable.
            yield return new NftRule { Source = source, Protocol = ProtocolType.Tcp, Action = NftAction.Reject(NftRejectKind.TcpReset) };
            yield return new NftRule { Source = source, Action = NftAction.Reject(NftRejectKind.PortUnreachable) };
            yield break;
        }
        yield return new NftRule
        {
            Source = source,
            Protocol = cut.Protocol,
            DestinationPort = cut.Port,
            Action = cut.Mode == CutMode.Drop ? NftAction.Drop
                : NftAction.Reject(cut.Protocol == ProtocolType.Tcp ? NftRejectKind.TcpReset : NftRejectKind.PortUnreachable),
        };
    }

    // The host's whole table, from desired state: its cuts (when nftables enforces them) and its NAT.
    internal NftRuleset FirewallOf(NetHost host)
    {
        var ruleset = new NftRuleset();
        if (_mechanism != CutMechanism.Bpf)
        {
            AddCuts(ruleset, host);
        }
        AddNat(ruleset, host);
        return ruleset;
    }

    private void AddCuts(NftRuleset ruleset, NetHost host)
    {
        var cuts = _cuts.Where(c => c.To == host.Name).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList();
        bool isolated = _isolated.Contains(host.Name);
        if (cuts.Count == 0 && !isolated)
        {
            return;
        }
        // The input chain stops what arrives for the host itself; the forward chain what a router would
        // pass on, so a cut router forwards nothing (the BPF filter sees both at the interface).
        var input = ruleset.Chain(NftHook.Input);
        var forward = host.IsRouter ? ruleset.Chain(NftHook.Forward) : null;
        foreach (byte type in NeighbourDiscoveryTypes)
        {
            input.Add(new NftRule { Family = AddressFamily.InterNetworkV6, Protocol = ProtocolType.IcmpV6, IcmpType = type, Action = NftAction.Accept });
        }
        if (isolated)
        {
            input.Add(new NftRule { Mark = PublishedPortMark, Action = NftAction.Drop });
        }
        // Exceptions first: what they let in passes before any cut sees it, and so do the answers to it.
        foreach (var allow in _allows.OrderBy(a => a.ToString(), StringComparer.Ordinal))
        {
            bool inbound = allow.To == host.Name;
            if (!inbound && allow.From != host.Name)
            {
                continue;
            }
            foreach (var address in AddressesOf(topology[inbound ? allow.From : allow.To]))
            {
                var rule = new NftRule
                {
                    Source = HostNetwork(address),
                    Protocol = allow.Protocol,
                    DestinationPort = inbound ? allow.Port : null,
                    SourcePort = inbound ? null : allow.Port,
                    Action = NftAction.Accept,
                };
                input.Add(rule);
                forward?.Add(rule);
            }
        }
        // A rejecting peer's answers (TCP resets, ICMP unreachables) must reach the host even when the
        // cut is two-way, or the host would stop them too and hang instead of failing at once.
        foreach (var address in cuts.Where(c => c.Mode == CutMode.Reject).SelectMany(c => AddressesOf(topology[c.From])).Distinct())
        {
            var source = HostNetwork(address);
            bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
            input.Add(new NftRule { Source = source, Protocol = ProtocolType.Tcp, TcpFlagsAny = TcpReset, Action = NftAction.Accept });
            input.Add(new NftRule { Source = source, Protocol = v4 ? ProtocolType.Icmp : ProtocolType.IcmpV6, IcmpType = v4 ? (byte)3 : (byte)1, Action = NftAction.Accept });
        }
        foreach (var cut in cuts)
        {
            foreach (var address in AddressesOf(topology[cut.From]))
            {
                foreach (var rule in RulesOf(cut, HostNetwork(address)))
                {
                    input.Add(rule);
                    forward?.Add(rule);
                }
            }
        }
    }
}
