using System.Text.Json;
using System.Text.Json.Serialization;

namespace Isolated.Net;

// The topology file: everything TopologyBuilder says, plus the faults in force when it was saved.
// Names follow the builder's (AddHost/AddRouter, AddSwitch, Connect/ConnectImpaired, Link/ImpairedLink,
// AddRoute, WithIPv4Pool, WithoutIPv6 ...), so a file reads like the C# that would build it.
// Durations are strings with a unit ("50ms", "1.5s", "200us"); fractions (impaired-link loss) are 0..1,
// kernel impairments' shares are percent, as in KernelImpairment.
internal sealed class TopologyFileModel
{
    public int? Version { get; set; }
    public string? Ipv4Pool { get; set; }
    public string? Ipv6Pool { get; set; }
    public bool? Ipv6 { get; set; }
    public bool? DefaultRoutes { get; set; }
    public string? AddressPreference { get; set; }
    public List<HostFileModel?>? Hosts { get; set; }
    public List<SwitchFileModel?>? Switches { get; set; }
    public List<ConnectionFileModel?>? Connections { get; set; }
    public List<LinkFileModel?>? Links { get; set; }
    public List<RouteFileModel?>? Routes { get; set; }
    public FaultsFileModel? Faults { get; set; }
}

internal sealed class HostFileModel
{
    public string? Name { get; set; }
    public bool? Router { get; set; }
}

internal sealed class SwitchFileModel
{
    public string? Name { get; set; }
    public string? Ipv4Subnet { get; set; }
    public string? Ipv6Subnet { get; set; }
    public int? Mtu { get; set; }
}

internal sealed class InterfaceFileModel
{
    public string? Name { get; set; }
    public string? Ipv4 { get; set; }
    public string? Ipv6 { get; set; }
}

internal sealed class ConnectionFileModel
{
    public string? Host { get; set; }
    public string? Switch { get; set; }
    public string? Interface { get; set; }
    public string? Ipv4 { get; set; }
    public string? Ipv6 { get; set; }
    public ImpairedLinkFileModel? Impaired { get; set; }
}

internal sealed class LinkFileModel
{
    public string? First { get; set; }
    public string? Second { get; set; }
    public string? Ipv4Subnet { get; set; }
    public string? Ipv6Subnet { get; set; }
    public int? Mtu { get; set; }
    public InterfaceFileModel? FirstInterface { get; set; }
    public InterfaceFileModel? SecondInterface { get; set; }
    public ImpairedLinkFileModel? Impaired { get; set; }
}

internal sealed class ImpairedLinkFileModel
{
    public ulong? Seed { get; set; }
    public bool? RealTimePriority { get; set; }
    public int? TraceCapacity { get; set; }
    [JsonPropertyName("aToB")]
    public ImpairmentFileModel? AtoB { get; set; }
    [JsonPropertyName("bToA")]
    public ImpairmentFileModel? BtoA { get; set; }
}

internal sealed class ImpairmentFileModel
{
    public string? Delay { get; set; }
    public string? Jitter { get; set; }
    public string? JitterDistribution { get; set; }
    public double? Loss { get; set; }
    public BurstLossFileModel? BurstLoss { get; set; }
    public double? Duplication { get; set; }
    public double? Reordering { get; set; }
    public string? ReorderTimeout { get; set; }
    public long? RateBitsPerSecond { get; set; }
    public int? QueueLimit { get; set; }
    public bool? ImpairLinkControl { get; set; }
}

internal sealed class BurstLossFileModel
{
    public double? GoodToBad { get; set; }
    public double? BadToGood { get; set; }
    public double? LossInGood { get; set; }
    public double? LossInBad { get; set; }
}

internal sealed class RouteFileModel
{
    public string? Host { get; set; }
    public string? Destination { get; set; }
    public string? Via { get; set; }
}

internal sealed class FaultsFileModel
{
    public List<string?>? Isolated { get; set; }
    public List<CutFileModel?>? Cuts { get; set; }
    public List<CutFileModel?>? Allows { get; set; }
    public List<string?>? Down { get; set; }
    public List<KernelImpairmentFileModel?>? Impairments { get; set; }
}

// One direction of a cut ("from" is no longer heard by "to"); an allow has no mode.
internal sealed class CutFileModel
{
    public string? From { get; set; }
    public string? To { get; set; }
    public string? Mode { get; set; }
    public string? Protocol { get; set; }
    public int? Port { get; set; }
}

internal sealed class KernelImpairmentFileModel
{
    public string? Interface { get; set; }
    public string? Direction { get; set; }
    public long? BandwidthBitsPerSecond { get; set; }
    public double? LossPercent { get; set; }
    public string? Latency { get; set; }
    public string? Jitter { get; set; }
    public double? DuplicatePercent { get; set; }
    public double? ReorderPercent { get; set; }
    public int? Seed { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(TopologyFileModel))]
internal sealed partial class TopologyFileJsonContext : JsonSerializerContext;
