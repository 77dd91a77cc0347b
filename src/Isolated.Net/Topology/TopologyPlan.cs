using System.Globalization;
using System.Net.Sockets;
using Isolated.Net.Netlink;

namespace Isolated.Net;

// Validation and address planning: pure, no syscalls. Every problem is collected, then all are thrown
// together, so a user fixes a description in one pass.
internal sealed partial class TopologyPlan
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
}
