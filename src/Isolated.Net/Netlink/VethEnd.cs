using System.Net.NetworkInformation;
using System.Runtime.InteropServices;

namespace Isolated.Net.Netlink;

// One end of a veth pair as it should be created: its name, and optionally the namespace it is born
// in (its nsfs fd goes out as IFLA_NET_NS_FD, so no move is needed afterwards), its MTU, its MAC
// address and the ifindex to give it (0 lets the kernel pick; an index in use fails with EEXIST).
// Queues defaults to one TX and one RX queue: the kernel's default is one of each per possible CPU,
// and every queue is a sysfs object made at creation, which test links do not need (on 2 CPUs one
// queue already saves ~50 µs of the ~280 µs a pair costs; on 64 CPUs far more).
internal sealed record VethEnd
{
    /// <summary>An end in <paramref name="namespace"/>, or in the requesting socket's namespace when null.</summary>
    public VethEnd(string name, NetworkNamespace? @namespace = null)
        : this(name, @namespace?.Handle)
    {
        Namespace = @namespace;
    }

    /// <summary>An end in the namespace behind a bare nsfs fd (requests built without a NetworkNamespace).</summary>
    public VethEnd(string name, SafeHandle? namespaceFd)
    {
        InterfaceName.Validate(name);
        Name = name;
        NamespaceFd = namespaceFd;
    }

    public string Name { get; }

    /// <summary>The namespace the end is created in, when given as a NetworkNamespace.</summary>
    public NetworkNamespace? Namespace { get; }

    /// <summary>The fd sent as IFLA_NET_NS_FD; null for the requesting socket's namespace.</summary>
    public SafeHandle? NamespaceFd { get; }

    public int? Mtu { get; init; }

    public PhysicalAddress? MacAddress { get; init; }

    public int Index { get; init; }

    /// <summary>
    /// The bridge to enslave the end to as it is created (IFLA_MASTER in the same request, as
    /// <c>ip link add … master BR</c>): only for the end the request is sent for, not the peer.
    /// </summary>
    public int? Master { get; init; }

    /// <summary>TX and RX queue count (IFLA_NUM_TX_QUEUES/IFLA_NUM_RX_QUEUES); null for the kernel's default.</summary>
    public int? Queues { get; init; } = 1;
}
