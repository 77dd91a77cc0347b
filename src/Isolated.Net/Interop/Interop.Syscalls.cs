using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// Syscalls and constants Tmds.LibC 0.5.0 lacks, plus thin wrappers that retry EINTR and name failures.
internal static unsafe partial class Interop
{
    public const int CLONE_NEWNET = 0x40000000;
    public const int SOL_SOCKET = 1;
    public const int SO_NETNS_COOKIE = 71;
    public const int SIOCGIFFLAGS = 0x8913;
    public const int SIOCSIFFLAGS = 0x8914;
    public const short IFF_UP = 0x1;
    public const int IFNAMSIZ = 16;

    private static readonly int s_sysGettid = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 186,
        Architecture.Arm64 => 178,
        Architecture.Arm => 224,
        _ => -1,
    };

    private static readonly int s_sysCapget = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 125,
        Architecture.Arm64 => 90,
        Architecture.Arm => 184,
        _ => -1,
    };

    private static readonly int s_sysPidfdOpen = 434; // same number on every architecture (asm-generic)

    // struct ifreq: a 16-byte name and a 24-byte union; we only use ifr_flags.
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct ifreq
    {
        [FieldOffset(0)] public fixed byte ifr_name[IFNAMSIZ];
        [FieldOffset(16)] public short ifr_flags;
    }

    /// <summary>
    /// The calling thread's credentials as far as a new thread would inherit them: capability sets
    /// (capget, per thread) and effective uid and gid. Null where capget is not mapped.
    /// </summary>
    public static (ulong Effective, ulong Permitted, ulong Inheritable, uint Uid, uint Gid)? ThreadCredentials()
    {
        if (s_sysCapget < 0)
        {
            return null;
        }
        // struct __user_cap_header_struct { u32 version; int pid; } and two __user_cap_data_struct
        // { u32 effective, permitted, inheritable; } for _LINUX_CAPABILITY_VERSION_3.
        uint* header = stackalloc uint[2];
        header[0] = 0x20080522;
        header[1] = 0;
        uint* data = stackalloc uint[6];
        if ((long)LibC.syscall(s_sysCapget, header, data) != 0)
        {
            return null;
        }
        return (data[0] | ((ulong)data[3] << 32), data[1] | ((ulong)data[4] << 32), data[2] | ((ulong)data[5] << 32), LibC.geteuid(), LibC.getegid());
    }

    /// <summary>The kernel thread id of the calling thread.</summary>
    public static int GetTid()
    {
        if (s_sysGettid < 0)
        {
            throw new PlatformNotSupportedException($"gettid is not mapped for {RuntimeInformation.ProcessArchitecture}");
        }
        return (int)LibC.syscall(s_sysGettid);
    }

    /// <summary>pidfd_open(2): an fd that becomes readable when the process exits.</summary>
    public static int PidfdOpen(int pid) => (int)LibC.syscall(s_sysPidfdOpen, pid, 0);

    /// <summary>open(2) with O_CLOEXEC, retrying EINTR.</summary>
    public static int Open(string path, int flags, int mode = 0)
    {
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(path.Length) + 1];
        int length = Encoding.UTF8.GetBytes(path, buffer);
        buffer[length] = 0;
        fixed (byte* p = buffer)
        {
            int fd;
            do
            {
                fd = LibC.open(p, flags | LibC.O_CLOEXEC, (ushort)mode);
            }
            while (fd < 0 && LastErrno == EINTR);
            return fd;
        }
    }

    /// <summary>Null-terminated UTF-8 bytes for a path or name.</summary>
    public static byte[] ToCString(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>(st_dev, st_ino) of an open fd: the identity of an nsfs namespace.</summary>
    public static (ulong Device, ulong Inode) FileIdentity(int fd, string operation)
    {
        stat st;
        CheckIo(LibC.fstat(fd, &st), operation);
        return ((ulong)st.st_dev, (ulong)st.st_ino);
    }

    /// <summary>(st_dev, st_ino) of a path (following links), or null when it cannot be read.</summary>
    public static (ulong Device, ulong Inode)? PathIdentity(string path)
    {
        stat st;
        fixed (byte* p = ToCString(path))
        {
            if (LibC.stat(p, &st) != 0)
            {
                return null;
            }
        }
        return ((ulong)st.st_dev, (ulong)st.st_ino);
    }
}
