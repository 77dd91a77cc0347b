using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

internal delegate void RouteRequestEncoder(NetlinkMessageWriter writer, uint sequence);

// One rtnetlink request: what it does in iproute2 words (for errors), and how it is encoded. The
// factories validate their arguments before anything is built, so a bad argument never reaches the
// kernel. Requests are values: RouteNetlinkSocket.Execute sends one or several in a single datagram.
internal sealed partial class RouteRequest
{
    private const ushort CreateFlags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private const ushort ChangeFlags = NLM_F_REQUEST | NLM_F_ACK;
    private const ushort DumpFlags = NLM_F_REQUEST | NLM_F_DUMP;

    private readonly RouteRequestEncoder _encode;
    private readonly SafeHandle?[] _handles;

    private RouteRequest(string operation, RouteRequestEncoder encode, bool isDump = false, params SafeHandle?[] handles)
    {
        Operation = operation;
        IsDump = isDump;
        _encode = encode;
        _handles = handles;
    }

    /// <summary>What the request does, e.g. "creating veth pair 'a0'/'b0'".</summary>
    public string Operation { get; }

    /// <summary>True for NLM_F_DUMP requests, answered by many messages and NLMSG_DONE.</summary>
    public bool IsDump { get; }

    /// <summary>Namespace fds the encoded message refers to; the socket holds them open while it sends.</summary>
    public ReadOnlySpan<SafeHandle?> Handles => _handles;

    public void Encode(NetlinkMessageWriter writer, uint sequence) => _encode(writer, sequence);

    public override string ToString() => Operation;

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

    // Equivalent to: ip link add NAME [mtu N] [up] type bridge
    public static RouteRequest CreateBridge(string name, int? mtu, bool up)
    {
        InterfaceName.Validate(name);
        ValidateLinkSettings(mtu, null, 0);
        return new($"creating bridge '{name}'", (writer, sequence) =>
        {
            var link = writer.BeginMessage(RTM_NEWLINK, CreateFlags, sequence, LinkHeader(0, up ? true : null));
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

    // Equivalent to: ip addr add ADDRESS/PREFIX brd + dev IFINDEX (IPv6: ip -6 addr add ADDRESS/PREFIX dev IFINDEX nodad)
    public static RouteRequest AddAddress(int index, IPAddress address, int prefixLength)
    {
        ValidateAddress(index, address, prefixLength);
        return new(DescribeAddress("adding", index, address, prefixLength), (writer, sequence) =>
            EncodeAddress(writer, RTM_NEWADDR, CreateFlags, sequence, index, address, prefixLength, withBroadcast: true));
    }

    // Equivalent to: ip addr del ADDRESS/PREFIX dev IFINDEX
    public static RouteRequest RemoveAddress(int index, IPAddress address, int prefixLength)
    {
        ValidateAddress(index, address, prefixLength);
        return new(DescribeAddress("removing", index, address, prefixLength), (writer, sequence) =>
            EncodeAddress(writer, RTM_DELADDR, ChangeFlags, sequence, index, address, prefixLength, withBroadcast: false));
    }

    // Equivalent to: ip addr show (family AF_UNSPEC: both IPv4 and IPv6)
    public static RouteRequest DumpAddresses(AddressFamily family = AddressFamily.Unspecified)
    {
        byte familyByte = FamilyByte(family, allowUnspecified: true);
        return new("listing addresses", (writer, sequence) =>
            writer.BeginMessage(RTM_GETADDR, DumpFlags, sequence, new ifaddrmsg { ifa_family = familyByte }), isDump: true);
    }

    // Equivalent to: ip route add [TYPE] PREFIX [via GATEWAY] [dev IFINDEX] [table T] [metric M]
    public static RouteRequest AddRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route.Validate();
        return new($"adding route {route}", (writer, sequence) => EncodeRoute(writer, RTM_NEWROUTE, CreateFlags, sequence, route));
    }

    // Equivalent to: ip route del [TYPE] PREFIX [via GATEWAY] [dev IFINDEX] [table T] [metric M]
    public static RouteRequest RemoveRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        route.Validate();
        return new($"removing route {route}", (writer, sequence) => EncodeRoute(writer, RTM_DELROUTE, ChangeFlags, sequence, route));
    }

    // Equivalent to: ip [-4|-6] route show table TABLE (table 0: every table, as "table all")
    public static RouteRequest DumpRoutes(AddressFamily family, int table = RouteInfo.MainTable)
    {
        byte familyByte = FamilyByte(family, allowUnspecified: false);
        ArgumentOutOfRangeException.ThrowIfNegative(table);
        return new("listing routes", (writer, sequence) =>
        {
            // With NETLINK_GET_STRICT_CHK the kernel filters by rtm_table (or RTA_TABLE above 255).
            var message = writer.BeginMessage(RTM_GETROUTE, DumpFlags, sequence, new rtmsg
            {
                rtm_family = familyByte,
                rtm_table = table < 256 ? (byte)table : RT_TABLE_UNSPEC,
            });
            if (table >= 256)
            {
                message.AddAttribute(RTA_TABLE, (uint)table);
            }
        }, isDump: true);
    }

    // Equivalent to: tc qdisc add dev IFINDEX clsact
    public static RouteRequest AddClsact(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("adding clsact qdisc to", index), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, TrafficControlHeader(index, TcHandle(TC_H_CLSACT, 0), TC_H_CLSACT, 0));
            message.AddString(TCA_KIND, "clsact");
        });
    }

    // Equivalent to: tc qdisc del dev IFINDEX clsact
    public static RouteRequest DeleteClsact(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("deleting clsact qdisc from", index), (writer, sequence) =>
            writer.BeginMessage(RTM_DELQDISC, ChangeFlags, sequence, TrafficControlHeader(index, TcHandle(TC_H_CLSACT, 0), TC_H_CLSACT, 0)));
    }

    // Equivalent to: tc qdisc del dev IFINDEX root
    public static RouteRequest DeleteRootQdisc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("deleting the root qdisc of", index), (writer, sequence) =>
            writer.BeginMessage(RTM_DELQDISC, ChangeFlags, sequence, TrafficControlHeader(index, 0, TC_H_ROOT, 0)));
    }

    // Equivalent to: tc qdisc add dev IFINDEX root handle 1: tbf rate RATEbit burst BURST limit LIMIT
    // The rate's link layer is Ethernet, so the kernel needs no rate table (TCA_TBF_RTAB); the bucket
    // goes as TCA_TBF_BURST in bytes (and in PARMS as ticks for kernels before 3.13).
    public static RouteRequest AddTokenBucket(int index, long bitsPerSecond, int burstBytes, int limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitsPerSecond, 8);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        ulong bytesPerSecond = (ulong)bitsPerSecond / 8;
        bool rate64 = bytesPerSecond >= uint.MaxValue;
        var options = new tc_tbf_qopt
        {
            rate = new tc_ratespec { linklayer = TC_LINKLAYER_ETHERNET, rate = rate64 ? uint.MaxValue : (uint)bytesPerSecond },
            limit = (uint)limitBytes,
            buffer = NanosecondsToTicks((ulong)((UInt128)(ulong)burstBytes * 1_000_000_000 / bytesPerSecond)),
        };
        return new(string.Create(CultureInfo.InvariantCulture, $"adding tbf qdisc (rate {bitsPerSecond} bit/s, burst {burstBytes} B, limit {limitBytes} B) to link #{index}"), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, TrafficControlHeader(index, TcHandle(1u << 16, 0), TC_H_ROOT, 0));
            message.AddString(TCA_KIND, "tbf");
            var nested = message.AddAttribute(TCA_OPTIONS);
            nested.AddAttribute(TCA_TBF_PARMS, options);
            if (rate64)
            {
                nested.AddAttribute(TCA_TBF_RATE64, bytesPerSecond);
            }
            nested.AddAttribute(TCA_TBF_BURST, (uint)burstBytes);
        });
    }

    // Equivalent to: tc qdisc add dev IFINDEX {root handle 1: | parent 1:1 handle 10:} netem limit N
    //                [delay LATENCY [JITTER]] [duplicate D%] [reorder R% gap 1] [seed SEED]
    // netem's TCA_OPTIONS is a struct tc_netem_qopt followed by attributes, not a plain nest.
    public static RouteRequest AddNetem(int index, bool underTokenBucket, NetemSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        ulong latency = (ulong)settings.Latency.Ticks * 100;
        ulong jitter = (ulong)settings.Jitter.Ticks * 100;
        var options = new tc_netem_qopt
        {
            latency = NanosecondsToTicks(latency),
            jitter = NanosecondsToTicks(jitter),
            limit = (uint)settings.LimitPackets,
            duplicate = Probability(settings.DuplicatePercent),
            gap = settings.ReorderPercent > 0 ? 1u : 0u, // as tc: without a gap, netem delays every packet and reorders none
        };
        return new($"adding netem qdisc ({settings}) to link #{index.ToString(CultureInfo.InvariantCulture)}", (writer, sequence) =>
        {
            var header = underTokenBucket
                ? TrafficControlHeader(index, TcHandle(10u << 16, 0), TcHandle(1u << 16, 1), 0)
                : TrafficControlHeader(index, TcHandle(1u << 16, 0), TC_H_ROOT, 0);
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, header);
            message.AddString(TCA_KIND, "netem");
            var nested = message.AddAttribute(TCA_OPTIONS, options);
            if (settings.ReorderPercent > 0)
            {
                nested.AddAttribute(TCA_NETEM_REORDER, new tc_netem_reorder { probability = Probability(settings.ReorderPercent) });
            }
            nested.AddAttribute(TCA_NETEM_LATENCY64, latency);
            nested.AddAttribute(TCA_NETEM_JITTER64, jitter);
            nested.AddAttribute(TCA_NETEM_PRNG_SEED, settings.Seed);
        });
    }

    // Equivalent to: tc filter add dev IFINDEX {ingress|egress} pref PRIO handle 1 protocol all bpf direct-action fd FD name NAME
    public static RouteRequest AddBpfFilter(int index, bool ingress, ushort priority, SafeHandle program, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfZero(priority);
        ArgumentNullException.ThrowIfNull(program);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(string.Create(CultureInfo.InvariantCulture, $"attaching BPF filter '{name}' to the {(ingress ? "ingress" : "egress")} of link #{index}"), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWTFILTER, CreateFlags, sequence, TrafficControlHeader(index, 1, ClsactHook(ingress), FilterInfo(priority)));
            message.AddString(TCA_KIND, "bpf");
            var nested = message.AddAttribute(TCA_OPTIONS);
            nested.AddAttribute(TCA_BPF_FD, (uint)program.DangerousGetHandle());
            nested.AddString(TCA_BPF_NAME, name);
            nested.AddAttribute(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        }, isDump: false, program);
    }

    // Equivalent to: tc filter del dev IFINDEX {ingress|egress} pref PRIO protocol all
    public static RouteRequest DeleteFilter(int index, bool ingress, ushort priority)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfZero(priority);
        return new(string.Create(CultureInfo.InvariantCulture, $"deleting the {(ingress ? "ingress" : "egress")} filters of priority {priority} from link #{index}"), (writer, sequence) =>
            writer.BeginMessage(RTM_DELTFILTER, ChangeFlags, sequence, TrafficControlHeader(index, 0, ClsactHook(ingress), FilterInfo(priority))));
    }

    /// <summary>Throws ArgumentException for an address or prefix the kernel would refuse.</summary>
    public static void ValidateAddress(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        int maxPrefix = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => 32,
            AddressFamily.InterNetworkV6 => 128,
            _ => throw new ArgumentException($"Address {address} is neither IPv4 nor IPv6.", nameof(address)),
        };
        if (prefixLength < 0 || prefixLength > maxPrefix)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"The prefix length of {address} must be 0 to {maxPrefix}.");
        }
    }

    private static void ValidateAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ValidateAddress(address, prefixLength);
    }

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

    private static tcmsg TrafficControlHeader(int index, uint handle, uint parent, uint info) => new()
    {
        tcm_family = AF_UNSPEC,
        tcm_ifindex = index,
        tcm_handle = handle,
        tcm_parent = parent,
        tcm_info = info,
    };

    private static uint ClsactHook(bool ingress) => TcHandle(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);

    // TC_H_MAKE(priority << 16, protocol): the protocol in network order, as the kernel compares it with skb->protocol.
    private static uint FilterInfo(ushort priority) =>
        ((uint)priority << 16) | (BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ETH_P_ALL) : ETH_P_ALL);

    // A percentage as netem's 32-bit probability (0 = never, UINT32_MAX = always).
    private static uint Probability(double percent) => (uint)Math.Round(percent / 100.0 * uint.MaxValue);

    private static string Describe(string verb, int index) => string.Create(CultureInfo.InvariantCulture, $"{verb} link #{index}");

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

    private static void EncodeAddress(NetlinkMessageWriter writer, ushort type, ushort flags, uint sequence, int index, IPAddress address, int prefixLength, bool withBroadcast)
    {
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var header = new ifaddrmsg
        {
            ifa_family = v4 ? AF_INET : AF_INET6,
            ifa_prefixlen = (byte)prefixLength,
            // NODAD: the address is usable (bindable) at once instead of tentative for ~1 s of DAD.
            ifa_flags = v4 || type != RTM_NEWADDR ? (byte)0 : (byte)IFA_F_NODAD,
            ifa_scope = v4 && type == RTM_NEWADDR && IPAddress.IsLoopback(address) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
            ifa_index = index,
        };
        var message = writer.BeginMessage(type, flags, sequence, header);
        message.AddAddress(IFA_LOCAL, address);
        message.AddAddress(IFA_ADDRESS, address);
        if (withBroadcast && v4 && prefixLength <= 30)
        {
            message.AddAddress(IFA_BROADCAST, BroadcastOf(address, prefixLength));
        }
    }

    // iproute2's "brd +": the address with every host bit set.
    internal static IPAddress BroadcastOf(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint hostMask = prefixLength == 0 ? uint.MaxValue : (1u << (32 - prefixLength)) - 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value | hostMask);
        return new IPAddress(bytes);
    }

    // Additions follow iproute2: protocol boot, scope link for a route with no gateway; deletions
    // match loosely (protocol unspec, scope nowhere, type unspec for unicast), so the kernel removes
    // the route whoever installed it.
    private static void EncodeRoute(NetlinkMessageWriter writer, ushort type, ushort flags, uint sequence, RouteSpec route)
    {
        bool add = type == RTM_NEWROUTE;
        int oif = route.OutputInterfaceIndex;
        if (oif == 0 && route.Gateway is { IsIPv6LinkLocal: true, ScopeId: > 0 and <= int.MaxValue } gateway)
        {
            oif = (int)gateway.ScopeId; // fe80::1%3 names its interface
        }
        var header = new rtmsg
        {
            rtm_family = route.Family == AddressFamily.InterNetwork ? AF_INET : AF_INET6,
            rtm_dst_len = (byte)route.Destination.PrefixLength,
            rtm_table = route.Table < 256 ? (byte)route.Table : RT_TABLE_UNSPEC,
            rtm_protocol = add ? RTPROT_BOOT : RTPROT_UNSPEC,
            rtm_scope = !add ? RT_SCOPE_NOWHERE
                : route.Type == RouteType.Unicast && route.Gateway is null ? RT_SCOPE_LINK
                : RT_SCOPE_UNIVERSE,
            rtm_type = !add && route.Type == RouteType.Unicast ? RTN_UNSPEC : (byte)route.Type,
        };
        var message = writer.BeginMessage(type, flags, sequence, header);
        if (route.Destination.PrefixLength > 0)
        {
            message.AddAddress(RTA_DST, route.Destination.BaseAddress);
        }
        if (route.Gateway is { } via)
        {
            message.AddAddress(RTA_GATEWAY, via);
        }
        if (oif != 0)
        {
            message.AddAttribute(RTA_OIF, (uint)oif);
        }
        if (route.Metric is int metric)
        {
            message.AddAttribute(RTA_PRIORITY, (uint)metric);
        }
        if (route.Table >= 256)
        {
            message.AddAttribute(RTA_TABLE, (uint)route.Table);
        }
    }

    private static string DescribeAddress(string verb, int index, IPAddress address, int prefixLength) =>
        string.Create(CultureInfo.InvariantCulture, $"{verb} address {address}/{prefixLength} {(verb == "adding" ? "to" : "from")} link #{index}");

    private static byte FamilyByte(AddressFamily family, bool allowUnspecified) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        AddressFamily.Unspecified when allowUnspecified => AF_UNSPEC,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, allowUnspecified ? "IPv4, IPv6 or Unspecified (both)." : "IPv4 or IPv6."),
    };

    internal static string FormatMac(ReadOnlySpan<byte> bytes) =>
        string.Join(':', bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
