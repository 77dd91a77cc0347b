using System.Globalization;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Link requests: veth pairs, bridges, state, MTU, MAC, names, masters (ip link ...).
internal sealed partial class RouteRequest
{
    // Equivalent to: ip link add A [numtxqueues Q numrxqueues Q] [address MAC] [mtu N] [up] netns FD type veth peer name B [...] netns FD
    // "up" can only bring up the first end: the kernel configures the peer before pairing the two,
    // and a veth without its peer refuses to open (veth_open: ENOTCONN). The peer needs a SETLINK.
    public static RouteRequest CreateVethPair(VethEnd end, VethEnd peer, bool up)
    {
        ArgumentNullException.ThrowIfNull(end);
        ArgumentNullException.ThrowIfNull(peer);
        ValidateLinkSettings(end.Mtu, end.MacAddress, end.Index);
        ValidateLinkSettings(peer.Mtu, peer.MacAddress, peer.Index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(end.Queues ?? 1, nameof(end));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(peer.Queues ?? 1, nameof(peer));
        return new($"creating veth pair '{end.Name}'/'{peer.Name}'", (writer, sequence) =>
        {
            var link = writer.BeginMessage(RTM_NEWLINK, CreateFlags, sequence, LinkHeader(end.Index, up ? true : null));
            AddVethEnd(link, end);
            var info = link.AddAttribute(IFLA_LINKINFO);
            info.AddString(IFLA_INFO_KIND, "veth", nulTerminated: false);
            var peerLink = info.AddAttribute(IFLA_INFO_DATA).AddAttribute(VETH_INFO_PEER, LinkHeader(peer.Index, null));
            AddVethEnd(peerLink, peer);
        }, isDump: false, end.NamespaceFd, peer.NamespaceFd);
    }

    // Equivalent to: ip link add NAME [index I] [mtu N] [up] type bridge
    public static RouteRequest CreateBridge(string name, int? mtu, bool up, int index = 0)
    {
        InterfaceName.Validate(name);
        ValidateLinkSettings(mtu, null, index);
        return new($"creating bridge '{name}'", (writer, sequence) =>
        {
            var link = writer.BeginMessage(RTM_NEWLINK, CreateFlags, sequence, LinkHeader(index, up ? true : null));
            link.AddString(IFLA_IFNAME, name);
            if (mtu is int value)
            {
                link.AddAttribute(IFLA_MTU, (uint)value);
            }
            link.AddAttribute(IFLA_LINKINFO).AddString(IFLA_INFO_KIND, "bridge", nulTerminated: false);
        });
    }

    // Equivalent to: ip link set dev NAME up|down
    public static RouteRequest SetLinkState(LinkRef link, bool up) =>
        SetLink($"setting {link} {(up ? "up" : "down")}", link, up, static _ => { });

    // Equivalent to: ip link set dev NAME mtu N
    public static RouteRequest SetMtu(LinkRef link, int mtu)
    {
        ValidateLinkSettings(mtu, null, 0);
        return SetLink(string.Create(CultureInfo.InvariantCulture, $"setting {link} mtu {mtu}"), link, null, m => m.AddAttribute(IFLA_MTU, (uint)mtu));
    }

    // Equivalent to: ip link set dev NAME address MAC
    public static RouteRequest SetMacAddress(LinkRef link, PhysicalAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        ValidateLinkSettings(null, address, 0);
        var bytes = address.GetAddressBytes();
        return SetLink($"setting {link} address {FormatMac(bytes)}", link, null, m => m.AddAttribute(IFLA_ADDRESS, bytes));
    }

    // Equivalent to: ip link set dev NAME alias TEXT
    public static RouteRequest SetAlias(LinkRef link, string alias)
    {
        ArgumentException.ThrowIfNullOrEmpty(alias);
        if (System.Text.Encoding.UTF8.GetByteCount(alias) >= 256)
        {
            throw new ArgumentException($"Interface alias '{alias}' is longer than 255 bytes.", nameof(alias));
        }
        return SetLink($"setting {link} alias '{alias}'", link, null, m => m.AddString(IFLA_IFALIAS, alias));
    }

    // Equivalent to: ip link set dev NAME master BRIDGE
    public static RouteRequest SetMaster(LinkRef link, int masterIndex, string? masterName = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(masterIndex);
        var master = masterName is null ? string.Create(CultureInfo.InvariantCulture, $"#{masterIndex}") : $"'{masterName}'";
        return SetLink($"setting {link} master {master}", link, null, m => m.AddAttribute(IFLA_MASTER, (uint)masterIndex));
    }

    // Equivalent to: ip link set dev NAME nomaster
    public static RouteRequest ReleaseFromMaster(LinkRef link) =>
        SetLink($"setting {link} nomaster", link, null, static m => m.AddAttribute(IFLA_MASTER, 0u));

    // Equivalent to: ip link set dev IFINDEX name NEWNAME (IFLA_IFNAME is the new name, so the link goes by index)
    public static RouteRequest Rename(int index, string newName, string? currentName = null)
    {
        var link = LinkRef.ByIndex(index);
        InterfaceName.Validate(newName, nameof(newName));
        var described = currentName is null ? link : LinkRef.ByName(currentName);
        return SetLink($"renaming {described} to '{newName}'", link, null, m => m.AddString(IFLA_IFNAME, newName));
    }

    // Equivalent to: ip link del dev NAME
    public static RouteRequest DeleteLink(LinkRef link) => new($"deleting {link}", (writer, sequence) =>
    {
        var message = writer.BeginMessage(RTM_DELLINK, ChangeFlags, sequence, LinkHeader(link.Index, null));
        AddLinkName(message, link);
    });

    // Equivalent to: ip link show dev NAME (answered by one RTM_NEWLINK, then the acknowledgement)
    public static RouteRequest GetLink(string name)
    {
        InterfaceName.Validate(name);
        return new($"looking up link '{name}'", (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_GETLINK, ChangeFlags, sequence, LinkHeader(0, null));
            message.AddString(IFLA_IFNAME, name);
            message.AddAttribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        });
    }

    // Equivalent to: ip -d link show
    public static RouteRequest DumpLinks() => new("listing links", static (writer, sequence) =>
    {
        var message = writer.BeginMessage(RTM_GETLINK, DumpFlags, sequence, LinkHeader(0, null));
        message.AddAttribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    }, isDump: true);

    private static void ValidateLinkSettings(int? mtu, PhysicalAddress? address, int index)
    {
        if (mtu is int value)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(mtu));
        }
        if (address is not null && address.GetAddressBytes().Length != 6)
        {
            throw new ArgumentException($"MAC address {address} is not 6 bytes long.", nameof(address));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(index);
    }

    private static ifinfomsg LinkHeader(int index, bool? up) => new()
    {
        ifi_family = AF_UNSPEC,
        ifi_index = index,
        ifi_flags = up == true ? (uint)IFF_UP : 0,
        ifi_change = up is null ? 0 : (uint)IFF_UP,
    };

    // An RTM_SETLINK for one link, by index or (ifi_index 0 and IFLA_IFNAME) by name.
    private static RouteRequest SetLink(string operation, LinkRef link, bool? up, Action<NetlinkAttributeWriter> addAttributes) =>
        new(operation, (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_SETLINK, ChangeFlags, sequence, LinkHeader(link.Index, up));
            AddLinkName(message, link);
            addAttributes(message);
        });

    private static void AddLinkName(NetlinkAttributeWriter message, LinkRef link)
    {
        if (link.Name is not null)
        {
            message.AddString(IFLA_IFNAME, link.Name);
        }
    }

    private static void AddVethEnd(NetlinkAttributeWriter link, VethEnd end)
    {
        link.AddString(IFLA_IFNAME, end.Name);
        if (end.Queues is int queues)
        {
            link.AddAttribute(IFLA_NUM_TX_QUEUES, (uint)queues);
            link.AddAttribute(IFLA_NUM_RX_QUEUES, (uint)queues);
        }
        if (end.Mtu is int mtu)
        {
            link.AddAttribute(IFLA_MTU, (uint)mtu);
        }
        if (end.MacAddress is { } mac)
        {
            link.AddAttribute(IFLA_ADDRESS, mac.GetAddressBytes());
        }
        if (end.NamespaceFd is { } ns)
        {
            link.AddAttribute(IFLA_NET_NS_FD, (uint)ns.DangerousGetHandle());
        }
    }

    internal static string FormatMac(ReadOnlySpan<byte> bytes) =>
        string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
