using System.Globalization;
using System.Text;

namespace Isolated.Net;

// Describe(): what the kernel says now, per host (links, addresses, routes, neighbours, sockets: NamespaceDump).
// Read live (not from the plan) so a failing test sees faults, downed links and missing routes.
internal static class TopologyDescription
{
    public static string Describe(Topology topology)
    {
        var text = new StringBuilder();
        foreach (var sw in topology.Switches)
        {
            var subnets = $"{sw.IPv4Subnet?.ToString() ?? "-"} {sw.IPv6Subnet?.ToString() ?? ""}".TrimEnd();
            text.Append("switch ").Append(sw.Name).Append(": ").Append(subnets)
                .Append(", ports ").AppendJoin(", ", sw.Ports).AppendLine();
        }
        foreach (var link in topology.Links)
        {
            text.Append(CultureInfo.InvariantCulture, $"link {link.First} <-> {link.Second}").AppendLine();
        }
        if (topology.FaultsIfAny is { Mechanism: { } mechanism } faults)
        {
            var cuts = faults.DescribeCuts();
            text.Append(CultureInfo.InvariantCulture, $"cuts ({(mechanism == Faults.CutMechanism.Nftables ? "nftables, a table per host" : "BPF fault filter")}): ")
                .Append(cuts.Count == 0 ? "none" : string.Join(", ", cuts)).AppendLine();
        }
        if (topology.FaultsIfAny?.DescribeNat() is { Count: > 0 } nat)
        {
            text.Append("nat: ").AppendJoin(", ", nat).AppendLine();
        }
        foreach (var host in topology.Hosts)
        {
            AppendHost(text, host);
        }
        return text.ToString();
    }

    public static string DescribeHost(NetHost host)
    {
        var text = new StringBuilder();
        AppendHost(text, host);
        return text.ToString();
    }

    private static void AppendHost(StringBuilder text, NetHost host)
    {
        text.Append(CultureInfo.InvariantCulture, $"{(host.IsRouter ? "router" : "host")} {host.Name} (net:[{host.Namespace.Inode}])").AppendLine();
        NamespaceDump.Append(text, host.Namespace,
            segmentOf: name => host.Interfaces.FirstOrDefault(i => i.Name == name)?.SegmentName,
            expectDefaultRoute: host.Interfaces.Count > 0);
        if (host.Topology.FaultsIfAny?.DescribeFirewall(host) is { Length: > 0 } firewall)
        {
            text.AppendLine("  nftables (the cuts arriving here, and a router's NAT):");
            foreach (var line in firewall.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                text.Append("    ").AppendLine(line.TrimEnd());
            }
        }
    }
}
