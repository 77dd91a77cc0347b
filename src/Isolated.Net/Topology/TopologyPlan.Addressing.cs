using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

// Subnets and addresses: parsing, pools, overlap checks, assignment to interfaces.
internal sealed partial class TopologyPlan
{
    private static IPNetwork? ParseSubnet(string? text, AddressFamily family, string owner, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }
        var kind = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        if (!TryParseNetwork(text, out var network))
        {
            problems.Add($"{owner} has {kind} subnet '{text}', which is not a valid prefix with its host bits zero (such as {(family == AddressFamily.InterNetwork ? "10.0.5.0/24" : "fd7a:15e:0:5::/64")})");
            return null;
        }
        if (network.BaseAddress.AddressFamily != family)
        {
            problems.Add($"{owner} has {kind} subnet '{text}', which is not an {kind} prefix");
            return null;
        }
        int maxPrefix = family == AddressFamily.InterNetwork ? 30 : 126;
        if (network.PrefixLength > maxPrefix)
        {
            problems.Add($"{owner} has {kind} subnet '{text}', too small for two hosts (at most /{maxPrefix})");
            return null;
        }
        return network;
    }

    // IPNetwork.TryParse masks host bits silently; a subnet written with host bits set is a typo we report.
    internal static bool TryParseNetwork(string text, out IPNetwork network)
    {
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPNetwork.TryParse(text, out network) || !IPAddress.TryParse(text.AsSpan(0, slash), out var written))
        {
            network = default;
            return false;
        }
        return network.BaseAddress.Equals(written);
    }

    private static void CheckOverlaps(List<PlannedSegment> segments, List<string> problems)
    {
        for (int i = 0; i < segments.Count; i++)
        {
            for (int j = i + 1; j < segments.Count; j++)
            {
                foreach (var (a, b) in new[] { (segments[i].IPv4, segments[j].IPv4), (segments[i].IPv6, segments[j].IPv6) })
                {
                    if (a is { } x && b is { } y && Overlap(x, y))
                    {
                        problems.Add($"{Describe(segments[i])} subnet {x} overlaps {Describe(segments[j])} subnet {y}");
                    }
                }
            }
        }
    }

    private static bool Overlap(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    private static IPNetwork? ParsePool(string poolText, AddressFamily family, int childPrefix, List<string> problems)
    {
        var kind = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        int minPrefix = family == AddressFamily.InterNetwork ? 8 : 16;
        if (!TryParseNetwork(poolText, out var pool) || pool.BaseAddress.AddressFamily != family || pool.PrefixLength > childPrefix - 1 || pool.PrefixLength < minPrefix)
        {
            string example = family == AddressFamily.InterNetwork ? TopologyBuilder.DefaultIPv4Pool : TopologyBuilder.DefaultIPv6Pool;
            problems.Add($"{kind} pool '{poolText}' must be an {kind} prefix with its host bits zero, of length {minPrefix} to {childPrefix - 1} (such as {example})");
            return null;
        }
        return pool;
    }

    private static void AssignSubnets(List<PlannedSegment> segments, IPNetwork pool, AddressFamily family, int childPrefix,
        Func<PlannedSegment, IPNetwork?> get, Action<PlannedSegment, IPNetwork> set, List<string> problems)
    {
        if (segments.All(s => get(s) is not null))
        {
            return;
        }
        var kind = family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
        var taken = segments.Select(get).Where(n => n is not null).Select(n => n!.Value).ToList();
        UInt128 count = UInt128.One << (childPrefix - pool.PrefixLength);
        UInt128 next = 1; // subnet 0 is skipped: 10.0.1.0/24 is the first, easier to read than 10.0.0.0/24
        int hostBits = (family == AddressFamily.InterNetwork ? 32 : 128) - childPrefix;
        foreach (var segment in segments.Where(s => get(s) is null))
        {
            IPNetwork? chosen = null;
            while (next < count)
            {
                var candidate = new IPNetwork(AddressMath.Add(pool.BaseAddress, next << hostBits), childPrefix);
                next++;
                if (!taken.Any(t => Overlap(t, candidate)))
                {
                    chosen = candidate;
                    break;
                }
            }
            if (chosen is null)
            {
                problems.Add($"the {kind} pool {pool} has no free /{childPrefix} left for {Describe(segment)}; give it a subnet or a larger pool");
                return;
            }
            set(segment, chosen.Value);
            taken.Add(chosen.Value);
        }
    }

    private static void AssignAddresses(PlannedSegment segment, IPNetwork? subnet, Func<PlannedInterface, string?> explicitText,
        Action<PlannedInterface, InterfaceAddress> set, List<string> problems)
    {
        var used = new HashSet<IPAddress>();
        var pending = new List<PlannedInterface>();
        foreach (var iface in segment.Interfaces)
        {
            var text = explicitText(iface);
            if (text is null)
            {
                pending.Add(iface);
                continue;
            }
            InterfaceAddress address;
            try
            {
                address = text.Contains('/', StringComparison.Ordinal)
                    ? InterfaceAddress.Parse(text)
                    : subnet is { } s && IPAddress.TryParse(text, out var bare) ? new InterfaceAddress(bare, s.PrefixLength) : InterfaceAddress.Parse(text);
            }
            catch (FormatException ex)
            {
                problems.Add($"host '{iface.Host}' on {Describe(segment)}: {ex.Message}");
                continue;
            }
            if (subnet is not { } net)
            {
                problems.Add($"host '{iface.Host}' has address {address} on {Describe(segment)}, which has no subnet of that family");
                continue;
            }
            if (address.Address.AddressFamily != net.BaseAddress.AddressFamily || !net.Contains(address.Address) || address.PrefixLength != net.PrefixLength)
            {
                problems.Add($"host '{iface.Host}' has address {address} outside the subnet {net} of {Describe(segment)}");
                continue;
            }
            if (address.Address.Equals(net.BaseAddress) || (address.IsIPv4 && address.Address.Equals(AddressMath.Last(net))))
            {
                problems.Add($"host '{iface.Host}' has address {address}, the {(address.Address.Equals(net.BaseAddress) ? "network" : "broadcast")} address of {Describe(segment)}");
                continue;
            }
            if (!used.Add(address.Address))
            {
                problems.Add($"address {address.Address} is given twice on {Describe(segment)}");
                continue;
            }
            set(iface, address);
        }
        if (subnet is not { } pool)
        {
            return;
        }
        UInt128 offset = 1;
        int bits = (pool.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128) - pool.PrefixLength;
        UInt128 limit = (UInt128.One << Math.Min(bits, 127)) - (pool.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? UInt128.One : UInt128.Zero);
        foreach (var iface in pending)
        {
            IPAddress candidate;
            do
            {
                candidate = AddressMath.Add(pool.BaseAddress, offset++);
            }
            while (used.Contains(candidate) && offset < limit);
            if (offset > limit || used.Contains(candidate))
            {
                problems.Add($"{Describe(segment)} subnet {pool} has no free address left for host '{iface.Host}'; give the segment a larger subnet");
                return;
            }
            used.Add(candidate);
            set(iface, new InterfaceAddress(candidate, pool.PrefixLength));
        }
    }
}
