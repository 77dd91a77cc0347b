using System.Globalization;
using System.Net.Sockets;
using Isolated.Net.Faults;

namespace Isolated.Net;

// Topology → file model: the description it was built from, with every subnet, interface name and
// address written out as built (so the file rebuilds the same network whatever the pools would pick),
// the impaired links' current settings and seeds, and the faults in force now.
internal static class TopologyFileWriter
{
    public static TopologyFileModel ToModel(Topology topology, TopologySpec spec)
    {
        var model = new TopologyFileModel
        {
            Version = 1,
            Ipv4Pool = spec.IPv4Pool == TopologyBuilder.DefaultIPv4Pool ? null : spec.IPv4Pool,
            Ipv6Pool = spec.IPv6Pool == TopologyBuilder.DefaultIPv6Pool ? null : spec.IPv6Pool,
            Ipv6 = spec.IPv6 ? null : false,
            DefaultRoutes = spec.DefaultRoutes ? null : false,
            AddressPreference = spec.AddressPreference == AddressPreference.IPv4First ? null : spec.AddressPreference.ToString(),
            Hosts = [.. spec.Hosts.Select(h => new HostFileModel { Name = h.Name, Router = h.IsRouter ? true : null })],
            Switches = [],
            Connections = [],
            Links = [],
            Routes = [.. spec.Routes.Select(r => new RouteFileModel { Host = r.Host, Destination = r.Destination, Via = r.Via })],
        };
        foreach (var segment in spec.Segments)
        {
            if (segment.Kind == SegmentKind.Switch)
            {
                var sw = topology.GetSwitch(segment.Name);
                model.Switches.Add(new SwitchFileModel { Name = sw.Name, Ipv4Subnet = sw.IPv4Subnet?.ToString(), Ipv6Subnet = sw.IPv6Subnet?.ToString(), Mtu = segment.Mtu });
            }
            else
            {
                var link = topology.Links.First(l => l.Name == segment.Name);
                model.Links.Add(new LinkFileModel
                {
                    First = link.First.Host.Name,
                    Second = link.Second.Host.Name,
                    Ipv4Subnet = (link.First.IPv4 ?? link.Second.IPv4)?.Network.ToString(),
                    Ipv6Subnet = (link.First.IPv6 ?? link.Second.IPv6)?.Network.ToString(),
                    Mtu = segment.Mtu,
                    FirstInterface = new InterfaceFileModel { Name = link.First.Name, Ipv4 = link.First.IPv4?.ToString(), Ipv6 = link.First.IPv6?.ToString() },
                    SecondInterface = new InterfaceFileModel { Name = link.Second.Name, Ipv4 = link.Second.IPv4?.ToString(), Ipv6 = link.Second.IPv6?.ToString() },
                    Impaired = Impaired(segment.Impairment, link.ForwarderCore),
                });
            }
        }
        // A host may be plugged into one switch more than once: match the nth connection to the nth port.
        var seen = new Dictionary<(string, string), int>();
        foreach (var attachment in spec.Attachments)
        {
            if (spec.Segments.First(s => s.Name == attachment.Segment).Kind != SegmentKind.Switch)
            {
                continue;
            }
            var key = (attachment.Host, attachment.Segment);
            seen[key] = seen.GetValueOrDefault(key) + 1;
            var port = topology[attachment.Host].Interfaces.Where(i => i.SegmentName == attachment.Segment).ElementAt(seen[key] - 1);
            model.Connections.Add(new ConnectionFileModel
            {
                Host = attachment.Host,
                Switch = attachment.Segment,
                Interface = port.Name,
                Ipv4 = port.IPv4?.ToString(),
                Ipv6 = port.IPv6?.ToString(),
                Impaired = Impaired(attachment.Impairment, port.ForwarderCore),
            });
        }
        if (topology.FaultsIfAny?.Snapshot() is { } faults)
        {
            var file = new FaultsFileModel
            {
                Isolated = faults.Isolated.Count == 0 ? null : [.. faults.Isolated],
                Cuts = faults.Cuts.Count == 0 ? null : [.. faults.Cuts.Select(c => Cut(c.From, c.To, c.Mode.ToString().ToLowerInvariant(), c.Protocol, c.Port))],
                Allows = faults.Allows.Count == 0 ? null : [.. faults.Allows.Select(a => Cut(a.From, a.To, null, a.Protocol, a.Port))],
                Down = faults.Down.Count == 0 ? null : [.. faults.Down.Select(i => i.ToString()).Order(StringComparer.Ordinal)],
                Impairments = faults.Impairments.Count == 0 ? null : [.. faults.Impairments.Select(i => new KernelImpairmentFileModel
                {
                    Interface = i.Interface.ToString(),
                    Direction = i.Outbound ? "outbound" : "inbound",
                    BandwidthBitsPerSecond = i.Impairment.BandwidthBitsPerSecond,
                    LossPercent = NullIfZero(i.Impairment.LossPercent),
                    Latency = i.Impairment.Latency == TimeSpan.Zero ? null : FormatDuration(i.Impairment.Latency),
                    Jitter = i.Impairment.Jitter == TimeSpan.Zero ? null : FormatDuration(i.Impairment.Jitter),
                    DuplicatePercent = NullIfZero(i.Impairment.DuplicatePercent),
                    ReorderPercent = NullIfZero(i.Impairment.ReorderPercent),
                    Seed = i.Impairment.Seed == 0 ? null : i.Impairment.Seed,
                })],
            };
            if (file.Isolated is not null || file.Cuts is not null || file.Allows is not null || file.Down is not null || file.Impairments is not null)
            {
                model.Faults = file;
            }
        }
        return model;
    }

    private static CutFileModel Cut(string from, string to, string? mode, ProtocolType? protocol, int? port) => new()
    {
        From = from,
        To = to,
        Mode = mode,
        Protocol = protocol switch
        {
            null => null,
            ProtocolType.Tcp => "tcp",
            ProtocolType.Udp => "udp",
            ProtocolType.Icmp => "icmp",
            ProtocolType.IcmpV6 => "icmpv6",
            _ => ((int)protocol).ToString(CultureInfo.InvariantCulture),
        },
        Port = port,
    };

    // The forwarder's settings now (a test may have changed them since the build), with the build's seed.
    private static ImpairedLinkFileModel? Impaired(ImpairmentSpec? spec, ImpairedLinkForwarder? forwarder)
    {
        if (spec is null)
        {
            return null;
        }
        return new ImpairedLinkFileModel
        {
            Seed = forwarder?.Seed ?? spec.Seed,
            RealTimePriority = spec.RealTimePriority ? null : false,
            TraceCapacity = spec.TraceCapacity == 0 ? null : spec.TraceCapacity,
            AtoB = Settings(forwarder?.AtoB.Settings ?? spec.AtoB),
            BtoA = Settings(forwarder?.BtoA.Settings ?? spec.BtoA),
        };
    }

    private static ImpairmentFileModel? Settings(ImpairmentSettings s)
    {
        var defaults = new ImpairmentSettings();
        var model = new ImpairmentFileModel
        {
            Delay = s.Delay == TimeSpan.Zero ? null : FormatDuration(s.Delay),
            Jitter = s.Jitter == TimeSpan.Zero ? null : FormatDuration(s.Jitter),
            JitterDistribution = s.JitterDistribution == defaults.JitterDistribution ? null : s.JitterDistribution.ToString().ToLowerInvariant(),
            Loss = NullIfZero(s.Loss),
            BurstLoss = s.BurstLoss is { } b ? new BurstLossFileModel { GoodToBad = b.GoodToBad, BadToGood = b.BadToGood, LossInGood = b.LossInGood, LossInBad = b.LossInBad } : null,
            Duplication = NullIfZero(s.Duplication),
            Reordering = NullIfZero(s.Reordering),
            ReorderTimeout = s.ReorderTimeout == defaults.ReorderTimeout ? null : FormatDuration(s.ReorderTimeout),
            RateBitsPerSecond = s.RateBitsPerSecond == 0 ? null : s.RateBitsPerSecond,
            QueueLimit = s.QueueLimit == defaults.QueueLimit ? null : s.QueueLimit,
            ImpairLinkControl = s.ImpairLinkControl ? true : null,
        };
        return model;
    }

    private static double? NullIfZero(double value) => value == 0 ? null : value;

    // "50ms", "1.5s", "200us", "2m"; the shortest exact form when written.
    public static string FormatDuration(TimeSpan value)
    {
        long ticks = value.Ticks;
        if (ticks % TimeSpan.TicksPerSecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerSecond}s");
        }
        if (ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{ticks / TimeSpan.TicksPerMillisecond}ms");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value.TotalMicroseconds}us");
    }

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var units = new (string Suffix, double Ticks)[] { ("us", TimeSpan.TicksPerMicrosecond), ("ms", TimeSpan.TicksPerMillisecond), ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute) };
        foreach (var (suffix, ticks) in units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number)
                && number * ticks <= TimeSpan.MaxValue.Ticks)
            {
                value = TimeSpan.FromTicks((long)Math.Round(number * ticks));
                return true;
            }
        }
        return false;
    }
}
