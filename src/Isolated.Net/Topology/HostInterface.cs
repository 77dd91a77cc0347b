namespace Isolated.Net;

/// <summary>A host's interface on a switch or a point-to-point link.</summary>
public sealed partial class HostInterface
{
    internal HostInterface(NetHost host, string name, string segmentName, InterfaceAddress? ipv4, InterfaceAddress? ipv6, int mtu)
    {
        Host = host;
        Name = name;
        SegmentName = segmentName;
        IPv4 = ipv4;
        IPv6 = ipv6;
        Mtu = mtu;
    }

    /// <summary>The host the interface belongs to.</summary>
    public NetHost Host { get; }

    /// <summary>The interface name inside the host, e.g. "eth0".</summary>
    public string Name { get; }

    /// <summary>The switch name, or the link name ("a&lt;-&gt;b"), this interface is attached to.</summary>
    public string SegmentName { get; }

    /// <summary>The IPv4 address with its prefix, or null.</summary>
    public InterfaceAddress? IPv4 { get; }

    /// <summary>The IPv6 address with its prefix, or null.</summary>
    public InterfaceAddress? IPv6 { get; }

    /// <summary>The MTU the interface was created with.</summary>
    public int Mtu { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Host.Name}:{Name}";
}
