using System.Net;

namespace Isolated.Net;

/// <summary>A switch: a Linux bridge in the topology's hidden hub namespace, with one port per connected host.</summary>
public sealed partial class NetSwitch
{
    private readonly List<HostInterface> _ports = [];

    internal NetSwitch(string name, IPNetwork? ipv4Subnet, IPNetwork? ipv6Subnet)
    {
        Name = name;
        IPv4Subnet = ipv4Subnet;
        IPv6Subnet = ipv6Subnet;
    }

    /// <summary>The switch's name (also the bridge's name in the hub namespace).</summary>
    public string Name { get; }

    /// <summary>The IPv4 subnet of the segment, or null.</summary>
    public IPNetwork? IPv4Subnet { get; }

    /// <summary>The IPv6 subnet of the segment, or null.</summary>
    public IPNetwork? IPv6Subnet { get; }

    /// <summary>The host interfaces plugged into this switch.</summary>
    public IReadOnlyList<HostInterface> Ports => _ports;

    /// <inheritdoc />
    public override string ToString() => $"switch '{Name}'";

    internal void AddPort(HostInterface port) => _ports.Add(port);
}
