using System.Net;
using Isolated.Net.Netlink;

namespace Isolated.Net;

// What TopologyPlan produces: hosts, segments (switches and links), interfaces with their addresses,
// and routes, checked and complete, for TopologyFactory to create.
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
