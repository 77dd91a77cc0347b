using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netfilter;

namespace Isolated.Net.Faults;

// NAT routers: configuration, not faults. Masquerades and port forwards live in the router's one
// isolated_net table next to its cuts (FirewallOf adds them), and Heal and ClearAll keep them: only
// disposing the topology, which frees the router's namespace, takes them away.
internal sealed partial class TopologyFaults
{
    private readonly HashSet<HostInterface> _masquerades = [];
    private readonly List<PortForward> _forwards = [];

    /// <summary>Masquerades what leaves <paramref name="outside"/>; nothing changes when it already does.</summary>
    public void Masquerade(HostInterface outside)
    {
        RequireFeature(KernelFeatures.Nftables);
        lock (_lock)
        {
            if (_masquerades.Add(outside))
            {
                ApplyNat(outside.Host, () => _masquerades.Remove(outside));
            }
        }
    }

    /// <summary>Adds a port forward; the same one again changes nothing, another for the same router port is refused.</summary>
    public void ForwardPort(PortForward forward)
    {
        RequireFeature(KernelFeatures.Nftables);
        lock (_lock)
        {
            var existing = _forwards.Find(f => f.Router == forward.Router && f.Protocol == forward.Protocol && f.Port == forward.Port);
            if (existing == forward)
            {
                return;
            }
            if (existing is not null)
            {
                throw new InvalidOperationException($"Router '{forward.Router}' already forwards {existing}; a port forwards to one place.");
            }
            _forwards.Add(forward);
            ApplyNat(topology[forward.Router], () => _forwards.Remove(forward));
        }
    }

    /// <summary>The NAT configured, in a stable order, e.g. "r masquerade oifname eth1" or "r tcp 8080 -> web:80".</summary>
    public IReadOnlyList<string> DescribeNat()
    {
        lock (_lock)
        {
            return [.. _masquerades.Select(m => $"{m.Host.Name} masquerade oifname {m.Name}").Concat(_forwards.Select(f => $"{f.Router} {f}")).Order(StringComparer.Ordinal)];
        }
    }

    // Runs under _lock.
    private void ApplyNat(NetHost router, Action undo)
    {
        try
        {
            ApplyFirewall(router);
        }
        catch
        {
            undo();
            throw;
        }
    }

    // Equivalent to: nft add chain inet isolated_net postrouting '{ type nat hook postrouting priority srcnat; }'
    //                nft add rule inet isolated_net postrouting oifname "eth1" masquerade
    //                nft add chain inet isolated_net prerouting '{ type nat hook prerouting priority dstnat; }'
    //                nft add rule inet isolated_net prerouting ip daddr 10.0.2.1 tcp dport 8080 dnat ip to 10.0.1.2:80
    private void AddNat(NftRuleset ruleset, NetHost host)
    {
        foreach (var outside in _masquerades.Where(m => m.Host == host).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            ruleset.Chain(NftHook.Postrouting).Add(new NftRule { OutInterface = outside.Name, Action = NftAction.Masquerade });
        }
        foreach (var forward in _forwards.Where(f => f.Router == host.Name))
        {
            var inner = topology[forward.InnerHost];
            // Not on the segments the inner host is on itself: a neighbour there talks to it directly,
            // and a forward it went through would answer from the wrong address.
            var innerSegments = inner.Interfaces.Select(i => i.SegmentName).ToHashSet(StringComparer.Ordinal);
            foreach (var routerInterface in host.Interfaces.Where(i => !innerSegments.Contains(i.SegmentName)))
            {
                foreach (var (routerAddress, family) in new[] { (routerInterface.IPv4?.Address, AddressFamily.InterNetwork), (routerInterface.IPv6?.Address, AddressFamily.InterNetworkV6) })
                {
                    if (routerAddress is null || InnerAddress(inner, family) is not { } target)
                    {
                        continue;
                    }
                    ruleset.Chain(NftHook.Prerouting).Add(new NftRule
                    {
                        Destination = HostNetwork(routerAddress),
                        Protocol = forward.Protocol,
                        DestinationPort = forward.Port,
                        Action = NftAction.DestinationNat(target, forward.InnerPort),
                    });
                }
            }
        }
    }

    internal static IPAddress? InnerAddress(NetHost inner, AddressFamily family) =>
        family == AddressFamily.InterNetwork ? inner.PrimaryIPv4 : inner.PrimaryIPv6;
}

/// <summary>An inbound port forward on a router: its <paramref name="Port"/> to <paramref name="InnerHost"/>'s <paramref name="InnerPort"/>.</summary>
internal sealed record PortForward(string Router, ProtocolType Protocol, int Port, string InnerHost, int InnerPort)
{
    public override string ToString() =>
        $"{(Protocol == ProtocolType.Tcp ? "tcp" : "udp")} {Port} -> {InnerHost}:{InnerPort}";
}
