using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// Neighbour-table messages (linux/neighbour.h) and packet sockets (linux/if_packet.h, linux/if_ether.h).
internal static unsafe partial class Interop
{
    public const ushort RTM_NEWNEIGH = 28;
    public const ushort RTM_GETNEIGH = 30;
    public const ushort NDA_DST = 1;
    public const ushort NDA_LLADDR = 2;

    public const ushort NUD_INCOMPLETE = 0x01;
    public const ushort NUD_REACHABLE = 0x02;
    public const ushort NUD_STALE = 0x04;
    public const ushort NUD_DELAY = 0x08;
    public const ushort NUD_PROBE = 0x10;
    public const ushort NUD_FAILED = 0x20;
    public const ushort NUD_NOARP = 0x40;
    public const ushort NUD_PERMANENT = 0x80;

    public const int AF_PACKET = 17;
    public const byte PACKET_OUTGOING = 4;
    public const int MSG_TRUNC = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    public struct ndmsg
    {
        public byte ndm_family;
        public byte ndm_pad1;
        public ushort ndm_pad2;
        public int ndm_ifindex;
        public ushort ndm_state;
        public byte ndm_flags;
        public byte ndm_type;
    }

    /// <summary>htons for the protocol fields of packet sockets.</summary>
    public static ushort HostToNetwork(ushort value) => BitConverter.IsLittleEndian ? (ushort)((value << 8) | (value >> 8)) : value;
}

// An AF_PACKET socket fd (SOCK_CLOEXEC). Like every socket it pins the namespace it was opened in.
internal sealed class PacketSocketHandle : SafeHandle
{
    public PacketSocketHandle(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
