using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netlink;

namespace Isolated.Net;

internal sealed class PlannedInterface(string host, string name, string segment, int mtu, ImpairmentSpec? impairment = null)
{
    // Set for an impaired switch connection (an impaired link's is on its segment).
    public ImpairmentSpec? Impairment { get; } = impairment;
    public string Host { get; } = host;
    public string Name { get; } = name;
    public string Segment { get; } = segment;
    public int Mtu { get; } = mtu;
    public InterfaceAddress? IPv4 { get; set; }
    public InterfaceAddress? IPv6 { get; set; }
}

internal sealed record PlannedRoute(IPNetwork Destination, IPAddress Gateway, string InterfaceName);

internal sealed class PlannedHost(string name, bool isRouter)
{
    public string Name { get; } = name;
    public bool IsRouter { get; } = isRouter;
    public List<PlannedInterface> Interfaces { get; } = [];
    public List<PlannedRoute> Routes { get; } = [];
}

internal sealed class PlannedSegment(string name, SegmentKind kind, int mtu, ImpairmentSpec? impairment = null)
{
    public string Name { get; } = name;
    public SegmentKind Kind { get; } = kind;
    public int Mtu { get; } = mtu;
    public ImpairmentSpec? Impairment { get; } = impairment;
    public IPNetwork? IPv4 { get; set; }
    public IPNetwork? IPv6 { get; set; }
    public List<PlannedInterface> Interfaces { get; } = [];
}

// Validation and address planning: pure, no syscalls. Every problem is collected, then all are thrown
// together, so a user fixes a description in one pass.
internal sealed class TopologyPlan
{
    private const int DefaultMtu = 1500;

    // IPv4 needs 68 (RFC 791), IPv6 1280 (RFC 8200: the kernel refuses IPv6 addresses on a smaller link
    // with EINVAL); veth, bridge and TAP devices allow at most 65535 (ETH_MAX_MTU).
    private const int MinIPv4Mtu = 68;
    private const int MinIPv6Mtu = 1280;
    private const int MaxMtu = 65535;

    private TopologyPlan(List<PlannedHost> hosts, List<PlannedSegment> segments)
    {
        Hosts = hosts;
        Segments = segments;
    }

    public IReadOnlyList<PlannedHost> Hosts { get; }

    public IReadOnlyList<PlannedSegment> Segments { get; }

    public static TopologyPlan Create(TopologySpec spec)
    {
        var problems = new List<string>();
        var hosts = new Dictionary<string, PlannedHost>(StringComparer.Ordinal);
        var hostOrder = new List<PlannedHost>();
        foreach (var host in spec.Hosts)
        {
            if (ValidateHostName(host.Name) is { } error)
            {
                problems.Add(error);
            }
            else if (!hosts.TryAdd(host.Name, new PlannedHost(host.Name, host.IsRouter)))
            {
                problems.Add(host.IsRouter || hosts[host.Name].IsRouter
                    ? $"name '{host.Name}' is used by two hosts or routers; names must be unique across hosts, routers and switches"
                    : $"host '{host.Name}' is added twice");
            }
            else
            {
                hostOrder.Add(hosts[host.Name]);
            }
        }

        var segments = new Dictionary<string, (SegmentSpec Spec, PlannedSegment Plan)>(StringComparer.Ordinal);
        var segmentOrder = new List<PlannedSegment>();
        foreach (var segment in spec.Segments)
        {
            if (segment.Kind == SegmentKind.Switch && InterfaceName.Problem(segment.Name) is { } nameError)
            {
                problems.Add($"switch name '{segment.Name}' is not a valid interface name: {nameError}");
                continue;
            }
            if (segment.Kind == SegmentKind.Switch && hosts.TryGetValue(segment.Name, out var namesake))
            {
                problems.Add($"switch '{segment.Name}' has the name of a {(namesake.IsRouter ? "router" : "host")}; names must be unique across hosts, routers and switches (describe output, capture files and topology files name them alone), so rename one");
            }
            int mtu = segment.Mtu ?? DefaultMtu;
            if (mtu < MinIPv4Mtu)
            {
                problems.Add($"{Describe(segment)} has MTU {mtu}; it must be at least {MinIPv4Mtu} (the IPv4 minimum)");
            }
            else if (mtu > MaxMtu)
            {
                problems.Add($"{Describe(segment)} has MTU {mtu}; veth, bridge and TAP devices allow at most {MaxMtu}");
            }
            if (segment.Impairment is { } impairment)
            {
                ValidateImpairment(Describe(segment), impairment, problems);
            }
            var planned = new PlannedSegment(segment.Name, segment.Kind, mtu, segment.Impairment);
            if (!segments.TryAdd(segment.Name, (segment, planned)))
            {
                problems.Add($"switch '{segment.Name}' is added twice");
                continue;
            }
            planned.IPv4 = ParseSubnet(segment.IPv4Subnet, AddressFamily.InterNetwork, Describe(segment), problems);
            planned.IPv6 = ParseSubnet(segment.IPv6Subnet, AddressFamily.InterNetworkV6, Describe(segment), problems);
            segmentOrder.Add(planned);
        }

        // Attachments: every host and switch must exist; interface names unique per host.
        foreach (var attachment in spec.Attachments)
        {
            bool known = true;
            if (!hosts.ContainsKey(attachment.Host))
            {
                problems.Add(segments.TryGetValue(attachment.Segment, out var s) && s.Spec.Kind == SegmentKind.Link
                    ? $"link {attachment.Segment} names unknown host '{attachment.Host}'"
                    : $"connection to switch '{attachment.Segment}' names unknown host '{attachment.Host}'");
                known = false;
            }
            if (!segments.ContainsKey(attachment.Segment))
            {
                problems.Add($"host '{attachment.Host}' is connected to unknown switch '{attachment.Segment}'");
                known = false;
            }
            if (!known)
            {
                continue;
            }
            var host = hosts[attachment.Host];
            var (segmentSpec, segment) = segments[attachment.Segment];
            if (segment.Interfaces.Any(i => i.Host == host.Name))
            {
                problems.Add(segmentSpec.Kind == SegmentKind.Link
                    ? $"host '{host.Name}' is linked to itself"
                    : $"host '{host.Name}' is connected to switch '{segment.Name}' twice");
                continue;
            }
            string name;
            if (attachment.InterfaceName is not null)
            {
                name = attachment.InterfaceName;
                if (InterfaceName.Problem(name) is { } nameError)
                {
                    problems.Add($"interface name '{name}' on host '{host.Name}' is not valid: {nameError}");
                    continue;
                }
                if (name == "lo" || host.Interfaces.Any(i => i.Name == name))
                {
                    problems.Add($"host '{host.Name}' already has an interface named '{name}'");
                    continue;
                }
            }
            else
            {
                int n = 0;
                while (host.Interfaces.Any(i => i.Name == "eth" + n.ToString(CultureInfo.InvariantCulture)) || spec.Attachments.Any(a => a.Host == host.Name && a.InterfaceName == "eth" + n.ToString(CultureInfo.InvariantCulture)))
                {
                    n++;
                }
                name = "eth" + n.ToString(CultureInfo.InvariantCulture);
            }
            if (attachment.Impairment is { } impairment && segmentSpec.Kind == SegmentKind.Link)
            {
                problems.Add($"host '{host.Name}' is connected with impairment to link {segment.Name}, which is not a switch; use ImpairedLink");
                continue;
            }
            if (attachment.Impairment is { } connectionImpairment)
            {
                ValidateImpairment($"connection of host '{host.Name}' to switch '{segment.Name}'", connectionImpairment, problems);
            }
            var planned = new PlannedInterface(host.Name, name, segment.Name, segment.Mtu, attachment.Impairment);
            host.Interfaces.Add(planned);
            segment.Interfaces.Add(planned);
        }

        CheckOverlaps(segmentOrder, problems);
        // Both pools are checked whether or not a segment draws from them: a typo is reported where it is made.
        var ipv4Pool = ParsePool(spec.IPv4Pool, AddressFamily.InterNetwork, 24, problems);
        var ipv6Pool = ParsePool(spec.IPv6Pool, AddressFamily.InterNetworkV6, 64, problems);
        if (ipv4Pool is { } v4)
        {
            AssignSubnets(segmentOrder, v4, AddressFamily.InterNetwork, 24, s => s.IPv4, (s, n) => s.IPv4 = n, problems);
        }
        if (spec.IPv6 && ipv6Pool is { } v6)
        {
            AssignSubnets(segmentOrder, v6, AddressFamily.InterNetworkV6, 64, s => s.IPv6, (s, n) => s.IPv6 = n, problems);
        }
        CheckIPv6Mtu(segmentOrder, spec, problems);

        var attachmentsBySegment = spec.Attachments.ToLookup(a => a.Segment);
        foreach (var segment in segmentOrder)
        {
            var explicitByInterface = attachmentsBySegment[segment.Name].GroupBy(a => a.Host).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            AssignAddresses(segment, segment.IPv4, i => explicitByInterface.GetValueOrDefault(i.Host)?.IPv4, (i, a) => i.IPv4 = a, problems);
            AssignAddresses(segment, segment.IPv6, i => explicitByInterface.GetValueOrDefault(i.Host)?.IPv6, (i, a) => i.IPv6 = a, problems);
        }

        foreach (var route in spec.Routes)
        {
            PlanRoute(route, hosts, segments, problems);
        }

        if (spec.DefaultRoutes)
        {
            foreach (var host in hostOrder.Where(h => !h.IsRouter))
            {
                PlanDefaultRoutes(host, hosts, segments);
            }
        }

        if (problems.Count > 0)
        {
            throw new TopologyValidationException(problems);
        }
        return new TopologyPlan(hostOrder, segmentOrder);
    }

    internal static string? ValidateHostName(string name)
    {
        if (name.Length is 0 or > 63)
        {
            return $"host name '{name}' must be 1 to 63 characters long";
        }
        if (!char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            return $"host name '{name}' may hold only letters, digits, '-', '_' and '.', and must start with a letter or digit";
        }
        if (name.EndsWith(Topology.IPv4NameSuffix, StringComparison.OrdinalIgnoreCase) || name.EndsWith(Topology.IPv6NameSuffix, StringComparison.OrdinalIgnoreCase))
        {
            return $"host name '{name}' ends in '{Topology.IPv4NameSuffix}' or '{Topology.IPv6NameSuffix}', which are reserved for the per-family names every host gets (NAME{Topology.IPv4NameSuffix}, NAME{Topology.IPv6NameSuffix})";
        }
        return null;
    }

    private static void ValidateImpairment(string owner, ImpairmentSpec impairment, List<string> problems)
    {
        foreach (var (direction, settings) in new[] { ("AtoB", impairment.AtoB), ("BtoA", impairment.BtoA) })
        {
            foreach (var problem in settings.Problems())
            {
                problems.Add($"impaired {owner}, {direction}: {problem}");
            }
        }
    }

    private static string Describe(SegmentSpec segment) =>
        segment.Kind == SegmentKind.Switch ? $"switch '{segment.Name}'" : $"link {segment.Name}";

    private static string Describe(PlannedSegment segment) =>
        segment.Kind == SegmentKind.Switch ? $"switch '{segment.Name}'" : $"link {segment.Name}";

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

    // IPv6 is on for a segment that has an IPv6 subnet (its own or from the pool) or an explicit IPv6 address.
    private static void CheckIPv6Mtu(List<PlannedSegment> segments, TopologySpec spec, List<string> problems)
    {
        foreach (var segment in segments.Where(s => s.Mtu is >= MinIPv4Mtu and < MinIPv6Mtu))
        {
            bool ipv6 = segment.IPv6 is not null || spec.Attachments.Any(a => a.Segment == segment.Name && a.IPv6 is not null);
            if (ipv6)
            {
                problems.Add($"{Describe(segment)} has MTU {segment.Mtu}, but IPv6 needs at least {MinIPv6Mtu}; raise the MTU to {MinIPv6Mtu} or more, or call WithoutIPv6() and give the segment no IPv6 subnet or address");
            }
        }
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

    private static void PlanRoute(StaticRouteSpec route, Dictionary<string, PlannedHost> hosts,
        Dictionary<string, (SegmentSpec Spec, PlannedSegment Plan)> segments, List<string> problems)
    {
        if (!hosts.TryGetValue(route.Host, out var host))
        {
            problems.Add($"route {route.Destination} via {route.Via} names unknown host '{route.Host}'");
            return;
        }
        var destinations = new List<IPNetwork>();
        if (route.Destination is "default")
        {
            destinations.Add(new IPNetwork(IPAddress.Any, 0));
            if (host.Interfaces.Any(i => i.IPv6 is not null))
            {
                destinations.Add(new IPNetwork(IPAddress.IPv6Any, 0));
            }
        }
        else if (TryParseNetwork(route.Destination, out var destination))
        {
            destinations.Add(destination);
        }
        else
        {
            problems.Add($"route on host '{host.Name}' has destination '{route.Destination}', which is not 'default' or a prefix with its host bits zero (such as 10.0.2.0/24)");
            return;
        }

        foreach (var destination in destinations)
        {
            var family = destination.BaseAddress.AddressFamily;
            PlannedInterface? outgoing = null;
            IPAddress? gateway = null;
            if (IPAddress.TryParse(route.Via, out var viaAddress))
            {
                if (viaAddress.AddressFamily != family)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via {viaAddress}, an address of the other family");
                    continue;
                }
                outgoing = host.Interfaces.FirstOrDefault(i => (family == AddressFamily.InterNetwork ? i.IPv4 : i.IPv6)?.Network.Contains(viaAddress) == true);
                gateway = viaAddress;
                if (outgoing is null)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via {viaAddress}, which is on none of its subnets");
                    continue;
                }
            }
            else if (hosts.TryGetValue(route.Via, out var neighbour))
            {
                foreach (var mine in host.Interfaces)
                {
                    var theirs = neighbour.Interfaces.FirstOrDefault(i => i.Segment == mine.Segment);
                    var address = theirs is null ? null : family == AddressFamily.InterNetwork ? theirs.IPv4 : theirs.IPv6;
                    if (address is not null)
                    {
                        outgoing = mine;
                        gateway = address.Value.Address;
                        break;
                    }
                }
                if (outgoing is null)
                {
                    problems.Add($"route {destination} on host '{host.Name}' goes via host '{neighbour.Name}', which shares no {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} segment with it");
                    continue;
                }
            }
            else
            {
                problems.Add($"route {destination} on host '{host.Name}' goes via '{route.Via}', which is neither a host nor an IP address");
                continue;
            }
            if (host.Routes.Any(r => r.Destination.Equals(destination)))
            {
                problems.Add($"host '{host.Name}' has two routes to {destination}");
                continue;
            }
            host.Routes.Add(new PlannedRoute(destination, gateway!, outgoing.Name));
        }
    }

    // A default route is added only where it is unambiguous: the host sees exactly one router, on
    // exactly one of its segments. Otherwise the user adds routes with AddRoute.
    private static void PlanDefaultRoutes(PlannedHost host, Dictionary<string, PlannedHost> hosts,
        Dictionary<string, (SegmentSpec Spec, PlannedSegment Plan)> segments)
    {
        var routers = host.Interfaces
            .SelectMany(mine => segments[mine.Segment].Plan.Interfaces
                .Where(other => other.Host != host.Name)
                .Select(other => (Mine: mine, Router: other)))
            .Where(pair => hosts[pair.Router.Host].IsRouter)
            .ToList();
        if (routers.Count != 1)
        {
            return;
        }
        var (mineIf, router) = routers[0];
        if (router.IPv4 is { } v4 && mineIf.IPv4 is not null && !host.Routes.Any(r => r.Destination.PrefixLength == 0 && r.Destination.BaseAddress.AddressFamily == AddressFamily.InterNetwork))
        {
            host.Routes.Add(new PlannedRoute(new IPNetwork(IPAddress.Any, 0), v4.Address, mineIf.Name));
        }
        if (router.IPv6 is { } v6 && mineIf.IPv6 is not null && !host.Routes.Any(r => r.Destination.PrefixLength == 0 && r.Destination.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6))
        {
            host.Routes.Add(new PlannedRoute(new IPNetwork(IPAddress.IPv6Any, 0), v6.Address, mineIf.Name));
        }
    }
}

internal static class AddressMath
{
    public static IPAddress Add(IPAddress address, UInt128 offset)
    {
        var bytes = address.GetAddressBytes();
        UInt128 carry = offset;
        for (int i = bytes.Length - 1; i >= 0 && carry != 0; i--)
        {
            UInt128 sum = bytes[i] + (carry & 0xFF);
            bytes[i] = (byte)sum;
            carry = (carry >> 8) + (sum >> 8);
        }
        return new IPAddress(bytes);
    }

    public static IPAddress Last(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(network.PrefixLength - (i * 8), 0, 8);
            bytes[i] |= (byte)~(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }
}
