using System.Runtime.InteropServices;

namespace Isolated.Net.Interop;

// Socket diagnostics wire structs and constants (linux/sock_diag.h, linux/inet_diag.h, netinet/tcp.h),
// kept with their C names: what `ss` dumps, and what `ss -K` sends to destroy a socket. Ports and
// addresses in inet_diag_sockid are in network byte order, everything else in host order.
internal static partial class Interop
{
    // linux/netlink.h
    public const int NETLINK_SOCK_DIAG = 4;

    // linux/sock_diag.h: message types.
    public const ushort SOCK_DIAG_BY_FAMILY = 20;
    public const ushort SOCK_DESTROY = 21;

    // netinet/tcp.h: enum of TCP states (idiag_state; idiag_states is a mask of 1 << state).
    public const byte TCP_ESTABLISHED = 1;
    public const byte TCP_SYN_SENT = 2;
    public const byte TCP_SYN_RECV = 3;
    public const byte TCP_FIN_WAIT1 = 4;
    public const byte TCP_FIN_WAIT2 = 5;
    public const byte TCP_TIME_WAIT = 6;
    public const byte TCP_CLOSE = 7;
    public const byte TCP_CLOSE_WAIT = 8;
    public const byte TCP_LAST_ACK = 9;
    public const byte TCP_LISTEN = 10;
    public const byte TCP_CLOSING = 11;

    public const int ECONNABORTED = 103;

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct inet_diag_sockid
    {
        public ushort idiag_sport; // __be16
        public ushort idiag_dport; // __be16
        public fixed uint idiag_src[4]; // __be32[4]: IPv4 in the first word
        public fixed uint idiag_dst[4];
        public uint idiag_if;
        public fixed uint idiag_cookie[2];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct inet_diag_req_v2
    {
        public byte sdiag_family;
        public byte sdiag_protocol;
        public byte idiag_ext;
        public byte pad;
        public uint idiag_states;
        public inet_diag_sockid id;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct inet_diag_msg
    {
        public byte idiag_family;
        public byte idiag_state;
        public byte idiag_timer;
        public byte idiag_retrans;
        public inet_diag_sockid id;
        public uint idiag_expires;
        public uint idiag_rqueue;
        public uint idiag_wqueue;
        public uint idiag_uid;
        public uint idiag_inode;
    }
}
