namespace Isolated.Net;

/// <summary>How one host's interface on a switch or link is set up. Everything is optional.</summary>
public sealed class InterfaceOptions
{
    /// <summary>The interface name inside the host (default eth0, eth1, … in connection order); at most 15 bytes.</summary>
    public string? Name { get; set; }

    /// <summary>An explicit IPv4 address with prefix, e.g. "10.0.1.10/24"; it must lie in the segment's subnet.</summary>
    public string? IPv4 { get; set; }

    /// <summary>An explicit IPv6 address with prefix, e.g. "fd7a:15e:0:1::10/64"; it must lie in the segment's subnet.</summary>
    public string? IPv6 { get; set; }
}

/// <summary>How a switch (a Linux bridge in the topology's hidden hub namespace) is set up.</summary>
public sealed class SwitchOptions
{
    /// <summary>The IPv4 subnet of the switch's segment, e.g. "192.168.10.0/24"; default: the next /24 of the pool.</summary>
    public string? IPv4Subnet { get; set; }

    /// <summary>The IPv6 subnet, e.g. "fd7a:15e:0:10::/64"; default: the next /64 of the pool.</summary>
    public string? IPv6Subnet { get; set; }

    /// <summary>The MTU of every port on this switch; default 1500.</summary>
    public int? Mtu { get; set; }
}

/// <summary>How a point-to-point link (a veth pair between two hosts) is set up.</summary>
public sealed class LinkOptions
{
    /// <summary>The IPv4 subnet of the link; default: the next /24 of the pool.</summary>
    public string? IPv4Subnet { get; set; }

    /// <summary>The IPv6 subnet of the link; default: the next /64 of the pool.</summary>
    public string? IPv6Subnet { get; set; }

    /// <summary>The MTU of both ends; default 1500.</summary>
    public int? Mtu { get; set; }

    /// <summary>The first host's end of the link.</summary>
    public InterfaceOptions First { get; } = new();

    /// <summary>The second host's end of the link.</summary>
    public InterfaceOptions Second { get; } = new();
}
