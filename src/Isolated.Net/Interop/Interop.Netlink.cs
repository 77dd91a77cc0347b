using System.Runtime.InteropServices;

namespace Isolated.Net.Interop;

// rtnetlink wire structs and constants (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h, veth.h,
// pkt_sched.h), kept with their C names. Everything is in host byte order except addresses inside
// attributes, which are in network order as the kernel stores them.
internal static partial class Interop
{
    // linux/netlink.h
    public const int NETLINK_ROUTE = 0;
    public const int SOL_NETLINK = 270;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;
    public const int NETLINK_GET_STRICT_CHK = 12;

    public const int NLMSG_ALIGNTO = 4;
    public const int NLA_ALIGNTO = 4;
    public const ushort NLA_F_NESTED = 0x8000;
    public const ushort NLA_F_NET_BYTEORDER = 0x4000;
    public const ushort NLA_TYPE_MASK = unchecked((ushort)~(NLA_F_NESTED | NLA_F_NET_BYTEORDER));

    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;

    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_ACK = 0x04;
    public const ushort NLM_F_ECHO = 0x08;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP_FILTERED = 0x20;
    // Modifiers to GET requests.
    public const ushort NLM_F_ROOT = 0x100;
    public const ushort NLM_F_MATCH = 0x200;
    public const ushort NLM_F_ATOMIC = 0x400;
    public const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    // Modifiers to NEW requests.
    public const ushort NLM_F_REPLACE = 0x100;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_APPEND = 0x800;
    // Flags of an NLMSG_ERROR acknowledgement.
    public const ushort NLM_F_CAPPED = 0x100;
    public const ushort NLM_F_ACK_TLVS = 0x200;

    // enum nlmsgerr_attrs: extended acknowledgement attributes after struct nlmsgerr.
    public const ushort NLMSGERR_ATTR_MSG = 1;
    public const ushort NLMSGERR_ATTR_OFFS = 2;
    public const ushort NLMSGERR_ATTR_COOKIE = 3;

    // linux/rtnetlink.h: message types.
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_SETLINK = 19;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_DELADDR = 21;
    public const ushort RTM_GETADDR = 22;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_DELROUTE = 25;
    public const ushort RTM_GETROUTE = 26;
    public const ushort RTM_NEWQDISC = 36;
    public const ushort RTM_DELQDISC = 37;
    public const ushort RTM_GETQDISC = 38;
    public const ushort RTM_NEWTFILTER = 44;
    public const ushort RTM_DELTFILTER = 45;
    public const ushort RTM_GETTFILTER = 46;

    // rtm_type
    public const byte RTN_UNSPEC = 0;
    public const byte RTN_UNICAST = 1;
    public const byte RTN_LOCAL = 2;
    public const byte RTN_BROADCAST = 3;
    public const byte RTN_ANYCAST = 4;
    public const byte RTN_MULTICAST = 5;
    public const byte RTN_BLACKHOLE = 6;
    public const byte RTN_UNREACHABLE = 7;
    public const byte RTN_PROHIBIT = 8;
    public const byte RTN_THROW = 9;
    public const byte RTN_NAT = 10;

    // rtm_protocol
    public const byte RTPROT_UNSPEC = 0;
    public const byte RTPROT_REDIRECT = 1;
    public const byte RTPROT_KERNEL = 2;
    public const byte RTPROT_BOOT = 3;
    public const byte RTPROT_STATIC = 4;

    // rtm_scope
    public const byte RT_SCOPE_UNIVERSE = 0;
    public const byte RT_SCOPE_SITE = 200;
    public const byte RT_SCOPE_LINK = 253;
    public const byte RT_SCOPE_HOST = 254;
    public const byte RT_SCOPE_NOWHERE = 255;

    // rtm_table
    public const byte RT_TABLE_UNSPEC = 0;
    public const byte RT_TABLE_DEFAULT = 253;
    public const byte RT_TABLE_MAIN = 254;
    public const byte RT_TABLE_LOCAL = 255;

    // rtm_flags
    public const uint RTM_F_CLONED = 0x200;

    // enum rtattr_type_t
    public const ushort RTA_DST = 1;
    public const ushort RTA_SRC = 2;
    public const ushort RTA_IIF = 3;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_PREFSRC = 7;
    public const ushort RTA_METRICS = 8;
    public const ushort RTA_MULTIPATH = 9;
    public const ushort RTA_TABLE = 15;

    // linux/if_link.h: link attributes.
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_BROADCAST = 2;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_QDISC = 6;
    public const ushort IFLA_MASTER = 10;
    public const ushort IFLA_IFALIAS = 20;
    public const ushort IFLA_TXQLEN = 13;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_PID = 19;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_EXT_MASK = 29;
    public const ushort IFLA_NUM_TX_QUEUES = 31;
    public const ushort IFLA_NUM_RX_QUEUES = 32;
    public const ushort IFLA_LINK_NETNSID = 37;
    public const ushort IFLA_ALT_IFNAME = 53;

    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_INFO_DATA = 2;
    public const ushort IFLA_INFO_SLAVE_KIND = 4;

    // linux/veth.h
    public const ushort VETH_INFO_PEER = 1;

    // IFLA_EXT_MASK bits: leave the 64-bit counters out of link replies.
    public const uint RTEXT_FILTER_VF = 1 << 0;
    public const uint RTEXT_FILTER_SKIP_STATS = 1 << 3;

    // linux/if.h: net_device flags (IFF_UP lives with ifreq in Interop.Syscalls).
    public const uint IFF_BROADCAST = 0x2;
    public const uint IFF_LOOPBACK = 0x8;
    public const uint IFF_POINTOPOINT = 0x10;
    public const uint IFF_RUNNING = 0x40;
    public const uint IFF_NOARP = 0x80;
    public const uint IFF_PROMISC = 0x100;
    public const uint IFF_MULTICAST = 0x1000;
    public const uint IFF_LOWER_UP = 0x10000;

    // linux/if_arp.h
    public const ushort ARPHRD_ETHER = 1;
    public const ushort ARPHRD_LOOPBACK = 772;

    // linux/if_addr.h
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_LABEL = 3;
    public const ushort IFA_BROADCAST = 4;
    public const ushort IFA_ANYCAST = 5;
    public const ushort IFA_CACHEINFO = 6;
    public const ushort IFA_FLAGS = 8;

    public const uint IFA_F_SECONDARY = 0x01;
    public const uint IFA_F_NODAD = 0x02;
    public const uint IFA_F_OPTIMISTIC = 0x04;
    public const uint IFA_F_DADFAILED = 0x08;
    public const uint IFA_F_DEPRECATED = 0x20;
    public const uint IFA_F_TENTATIVE = 0x40;
    public const uint IFA_F_PERMANENT = 0x80;

    // linux/rtnetlink.h: traffic-control message attributes (enum TCA_*).
    public const ushort TCA_KIND = 1;
    public const ushort TCA_OPTIONS = 2;

    // linux/pkt_sched.h: qdisc handles and parents. A handle is major:minor in 16 bits each.
    public const uint TC_H_ROOT = 0xFFFFFFFF;
    public const uint TC_H_INGRESS = 0xFFFFFFF1;
    public const uint TC_H_CLSACT = TC_H_INGRESS;
    public const uint TC_H_MIN_INGRESS = 0xFFF2;
    public const uint TC_H_MIN_EGRESS = 0xFFF3;
    public const byte TC_LINKLAYER_ETHERNET = 1;

    // enum TCA_TBF_*
    public const ushort TCA_TBF_PARMS = 1;
    public const ushort TCA_TBF_RTAB = 2;
    public const ushort TCA_TBF_RATE64 = 4;
    public const ushort TCA_TBF_BURST = 6;

    // enum TCA_NETEM_* (attributes after struct tc_netem_qopt inside TCA_OPTIONS)
    public const ushort TCA_NETEM_CORR = 1;
    public const ushort TCA_NETEM_REORDER = 3;
    public const ushort TCA_NETEM_LATENCY64 = 10;
    public const ushort TCA_NETEM_JITTER64 = 11;
    public const ushort TCA_NETEM_PRNG_SEED = 14;

    // linux/pkt_cls.h: cls_bpf attributes; direct action lets the program's return value be the verdict.
    public const ushort TCA_BPF_FD = 6;
    public const ushort TCA_BPF_NAME = 7;
    public const ushort TCA_BPF_FLAGS = 8;
    public const uint TCA_BPF_FLAG_ACT_DIRECT = 1;
    public const int TC_ACT_OK = 0;
    public const int TC_ACT_SHOT = 2;

    // linux/if_ether.h: every protocol, as a filter's tcm_info wants it (network order).
    public const ushort ETH_P_ALL = 0x0003;
    public const ushort ETH_P_IP = 0x0800;
    public const ushort ETH_P_IPV6 = 0x86DD;

    public const byte AF_UNSPEC = 0;
    public const byte AF_INET = 2;
    public const byte AF_INET6 = 10;

    [StructLayout(LayoutKind.Sequential)]
    public struct nlmsghdr
    {
        public uint nlmsg_len;
        public ushort nlmsg_type;
        public ushort nlmsg_flags;
        public uint nlmsg_seq;
        public uint nlmsg_pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct nlmsgerr
    {
        public int error;
        public nlmsghdr msg;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct rtattr
    {
        public ushort rta_len;
        public ushort rta_type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_nl
    {
        public ushort nl_family;
        public ushort nl_pad;
        public uint nl_pid;
        public uint nl_groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ifinfomsg
    {
        public byte ifi_family;
        public byte __ifi_pad;
        public ushort ifi_type;
        public int ifi_index;
        public uint ifi_flags;
        public uint ifi_change;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ifaddrmsg
    {
        public byte ifa_family;
        public byte ifa_prefixlen;
        public byte ifa_flags;
        public byte ifa_scope;
        public int ifa_index;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct rtmsg
    {
        public byte rtm_family;
        public byte rtm_dst_len;
        public byte rtm_src_len;
        public byte rtm_tos;
        public byte rtm_table;
        public byte rtm_protocol;
        public byte rtm_scope;
        public byte rtm_type;
        public uint rtm_flags;
    }

    // For the traffic-control work to come (RTM_NEWQDISC).
    [StructLayout(LayoutKind.Sequential)]
    public struct tcmsg
    {
        public byte tcm_family;
        public byte tcm__pad1;
        public ushort tcm__pad2;
        public int tcm_ifindex;
        public uint tcm_handle;
        public uint tcm_parent;
        public uint tcm_info;
    }

    // struct timeval as SO_RCVTIMEO takes it (long is pointer-sized on Linux).
    [StructLayout(LayoutKind.Sequential)]
    public struct timeval
    {
        public nint tv_sec;
        public nint tv_usec;
    }

    /// <summary>NLMSG_ALIGN / NLA_ALIGN: rounds up to the 4-byte netlink alignment.</summary>
    public static int NetlinkAlign(int length) => (length + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
}
