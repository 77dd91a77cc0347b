using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Turns RTM_NEWLINK / RTM_NEWADDR / RTM_NEWROUTE messages into the public query records.
internal static class RouteMessageParser
{
    public static LinkInfo ParseLink(NetlinkMessage message)
    {
        var header = message.ReadHeader<ifinfomsg>();
        string name = "";
        string? kind = null;
        int mtu = 0;
        int? master = null;
        int? peer = null;
        PhysicalAddress? mac = null;
        var state = LinkOperationalState.Unknown;
        var attributes = message.Attributes<ifinfomsg>();
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case IFLA_IFNAME:
                    name = attribute.AsString();
                    break;
                case IFLA_MTU:
                    mtu = attribute.AsInt32();
                    break;
                case IFLA_ADDRESS:
                    mac = new PhysicalAddress(attribute.Payload.ToArray());
                    break;
                case IFLA_MASTER:
                    master = NonZero(attribute.AsInt32());
                    break;
                case IFLA_LINK:
                    peer = NonZero(attribute.AsInt32());
                    break;
                case IFLA_OPERSTATE:
                    state = (LinkOperationalState)attribute.AsByte();
                    break;
                case IFLA_LINKINFO:
                    kind = ReadKind(attribute.Nested());
                    break;
            }
        }
        if (kind is null && header.ifi_type == ARPHRD_LOOPBACK)
        {
            kind = "loopback";
        }
        return new LinkInfo
        {
            Name = name,
            Index = header.ifi_index,
            Kind = kind,
            IsUp = (header.ifi_flags & (uint)IFF_UP) != 0,
            HasCarrier = (header.ifi_flags & IFF_LOWER_UP) != 0,
            OperationalState = state,
            Mtu = mtu,
            MacAddress = mac,
            MasterIndex = master,
            PeerIndex = peer,
        };
    }

    /// <summary>The link index of an RTM_NEWLINK reply.</summary>
    public static int ParseLinkIndex(NetlinkMessage message) => message.ReadHeader<ifinfomsg>().ifi_index;

    /// <summary>An address record, or null for families other than IPv4 and IPv6.</summary>
    public static AddressInfo? ParseAddress(NetlinkMessage message, IReadOnlyDictionary<int, string> linkNames)
    {
        var header = message.ReadHeader<ifaddrmsg>();
        var family = ToAddressFamily(header.ifa_family);
        if (family is null)
        {
            return null;
        }
        IPAddress? local = null;
        IPAddress? address = null;
        IPAddress? broadcast = null;
        uint flags = header.ifa_flags;
        var attributes = message.Attributes<ifaddrmsg>();
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case IFA_LOCAL:
                    local = attribute.AsAddress();
                    break;
                case IFA_ADDRESS:
                    address = attribute.AsAddress();
                    break;
                case IFA_BROADCAST:
                    broadcast = attribute.AsAddress();
                    break;
                case IFA_FLAGS:
                    flags = attribute.AsUInt32(); // the full 32-bit flags; ifa_flags holds the low 8
                    break;
            }
        }
        var own = local ?? address;
        if (own is null)
        {
            return null;
        }
        return new AddressInfo
        {
            InterfaceIndex = header.ifa_index,
            InterfaceName = linkNames.GetValueOrDefault(header.ifa_index),
            Family = family.Value,
            Address = own,
            PrefixLength = header.ifa_prefixlen,
            Broadcast = broadcast,
            Scope = (NetworkScope)header.ifa_scope,
            IsTentative = (flags & IFA_F_TENTATIVE) != 0,
            IsDadDisabled = (flags & IFA_F_NODAD) != 0,
        };
    }

    /// <summary>A route record, or null for families other than IPv4 and IPv6 (multicast routing tables).</summary>
    public static RouteInfo? ParseRoute(NetlinkMessage message, IReadOnlyDictionary<int, string> linkNames)
    {
        var header = message.ReadHeader<rtmsg>();
        var family = ToAddressFamily(header.rtm_family);
        if (family is null)
        {
            return null;
        }
        IPAddress? destination = null;
        IPAddress? gateway = null;
        IPAddress? preferredSource = null;
        int? oif = null;
        int? metric = null;
        int table = header.rtm_table;
        var attributes = message.Attributes<rtmsg>();
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case RTA_DST:
                    destination = attribute.AsAddress();
                    break;
                case RTA_GATEWAY:
                    gateway = attribute.AsAddress();
                    break;
                case RTA_PREFSRC:
                    preferredSource = attribute.AsAddress();
                    break;
                case RTA_OIF:
                    oif = NonZero(attribute.AsInt32());
                    break;
                case RTA_PRIORITY:
                    metric = attribute.AsInt32();
                    break;
                case RTA_TABLE:
                    table = attribute.AsInt32();
                    break;
                case RTA_MULTIPATH:
                    ReadFirstHop(attribute.Payload, ref gateway, ref oif);
                    break;
            }
        }
        var any = family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        return new RouteInfo
        {
            Family = family.Value,
            Destination = Network(destination ?? any, header.rtm_dst_len),
            Gateway = gateway,
            OutputInterfaceIndex = oif,
            OutputInterfaceName = oif is int index ? linkNames.GetValueOrDefault(index) : null,
            Type = (RouteType)header.rtm_type,
            Table = table,
            Protocol = (RouteProtocol)header.rtm_protocol,
            Scope = (NetworkScope)header.rtm_scope,
            PreferredSource = preferredSource,
            Metric = metric,
        };
    }

    /// <summary>The network of <paramref name="address"/>/<paramref name="prefixLength"/>, host bits cleared.</summary>
    public static IPNetwork Network(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int length);
        bytes = bytes[..length];
        prefixLength = Math.Clamp(prefixLength, 0, length * 8);
        for (int bit = prefixLength; bit < length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        return new IPNetwork(new IPAddress(bytes), prefixLength);
    }

    private static string? ReadKind(NetlinkAttributeReader linkInfo)
    {
        while (linkInfo.TryRead(out var attribute))
        {
            if (attribute.Type == IFLA_INFO_KIND)
            {
                return attribute.AsString();
            }
        }
        return null;
    }

    // RTA_MULTIPATH holds struct rtnexthop { u16 len; u8 flags; u8 hops; int ifindex; } + attributes per hop.
    private static void ReadFirstHop(ReadOnlySpan<byte> payload, ref IPAddress? gateway, ref int? oif)
    {
        const int rtnexthopSize = 8;
        if (payload.Length < rtnexthopSize)
        {
            return;
        }
        int length = Math.Min(MemoryMarshal.Read<ushort>(payload), payload.Length); // host byte order
        oif ??= NonZero(MemoryMarshal.Read<int>(payload[4..]));
        if (length <= rtnexthopSize)
        {
            return;
        }
        var hopAttributes = new NetlinkAttributeReader(payload[rtnexthopSize..length]);
        while (hopAttributes.TryRead(out var attribute))
        {
            if (attribute.Type == RTA_GATEWAY)
            {
                gateway ??= attribute.AsAddress();
            }
        }
    }

    private static AddressFamily? ToAddressFamily(byte family) => family switch
    {
        AF_INET => AddressFamily.InterNetwork,
        AF_INET6 => AddressFamily.InterNetworkV6,
        _ => null,
    };

    private static int? NonZero(int value) => value == 0 ? null : value;
}
