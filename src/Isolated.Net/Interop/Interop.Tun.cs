using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// TUN/TAP (linux/if_tun.h), eventfd, epoll_pwait2 and per-thread timer slack: what the impaired-link
// forwarder needs beyond Tmds.LibC 0.5.0.
internal static unsafe partial class Interop
{
    public const string TunDevicePath = "/dev/net/tun";

    // _IOW('T', 202, int) and _IOW('T', 218, unsigned int): the same encoding on x86-64, arm64 and arm.
    public const int TUNSETIFF = 0x400454CA;
    public const int TUNSETIFINDEX = 0x400454DA;
    public const int TUNSETCARRIER = 0x400454E2; // _IOW('T', 226, int)
    public const int TUNSETOFFLOAD = 0x400454D0; // _IOW('T', 208, unsigned int)

    // TUNSETOFFLOAD flags: what the device accepts from the stack, so what reads hand out.
    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO6 = 0x04;
    public const uint TUN_F_TSO_ECN = 0x08;
    public const uint TUN_F_USO4 = 0x20;
    public const uint TUN_F_USO6 = 0x40;

    // ifr_flags of TUNSETIFF.
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    public const int EIO = 5;
    public const int EBADFD = 77;

    public const int PR_SET_TIMERSLACK = 29;

    private const int SysEpollPwait2 = 441; // asm-generic and x86-64 alike

    private static readonly int s_sysPrctl = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 157,
        Architecture.Arm64 => 167,
        Architecture.Arm => 172,
        _ => -1,
    };

    private const int SCHED_FIFO = 1;

    private static readonly int s_sysSchedSetscheduler = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 144,
        Architecture.Arm64 => 119,
        Architecture.Arm => 156,
        _ => -1,
    };

    private static int s_epollPwait2Missing;

    // struct __kernel_timespec: 64-bit fields on every architecture.
    [StructLayout(LayoutKind.Sequential)]
    public struct kernel_timespec
    {
        public long tv_sec;
        public long tv_nsec;
    }

    private static string TunDeviceMode()
    {
        try
        {
            return "mode " + Convert.ToString((int)File.GetUnixFileMode(TunDevicePath), 8).PadLeft(4, '0');
        }
        catch (IOException)
        {
            return "mode unknown";
        }
        catch (UnauthorizedAccessException)
        {
            return "mode unknown";
        }
    }

    /// <summary>
    /// Opens /dev/net/tun and makes a TAP device (no packet-info header) named <paramref name="name"/>
    /// with ifindex <paramref name="index"/> in the calling thread's network namespace; the device lives
    /// while the returned fd is open. Call it on the namespace's thread.
    /// </summary>
    public static TapHandle CreateTap(string name, int index)
    {
        int fd = Open(TunDevicePath, LibC.O_RDWR | LibC.O_NONBLOCK);
        if (fd < 0)
        {
            int errno = LastErrno;
            var operation = $"creating TAP device '{name}' (open {TunDevicePath})";
            // Rootless, the device node belongs to the machine's root: its mode decides (0666 on most
            // distributions, 0600 in some containers), not our capabilities in the user namespace.
            if (errno is EACCES or EPERM && !Namespaces.UserNamespaces.IsRealRoot)
            {
                throw NetworkOperationException.WithHint(operation, errno,
                    $"{TunDevicePath} is not open to this user ({TunDeviceMode()}); the impaired link needs it, and most distributions make it 0666 (as root: chmod 0666 {TunDevicePath})");
            }
            throw Error(operation, errno);
        }
        var handle = new TapHandle(fd);
        try
        {
            // Equivalent to: ip tuntap add dev NAME mode tap (with the ifindex chosen first, as CRIU does)
            uint requestedIndex = (uint)index;
            Ioctl(fd, TUNSETIFINDEX, &requestedIndex, $"creating TAP device '{name}' (TUNSETIFINDEX {index})");
            ifreq request = default;
            var bytes = System.Text.Encoding.UTF8.GetBytes(name);
            for (int i = 0; i < bytes.Length && i < IFNAMSIZ - 1; i++)
            {
                request.ifr_name[i] = bytes[i];
            }
            // Every frame read or written starts with a struct virtio_net_hdr (10 bytes), which carries a
            // super-frame's segmentation (GSO) and a partial checksum's place.
            request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
            Ioctl(fd, TUNSETIFF, &request, $"creating TAP device '{name}' (TUNSETIFF)");
            // A TAP is born with its carrier on, so the kernel never computes its operational state and
            // ip shows "state UNKNOWN". Turning the carrier off and on makes it UP, as a veth's is.
            int carrier = 0;
            Ioctl(fd, TUNSETCARRIER, &carrier, $"creating TAP device '{name}' (TUNSETCARRIER off)");
            carrier = 1;
            Ioctl(fd, TUNSETCARRIER, &carrier, $"creating TAP device '{name}' (TUNSETCARRIER on)");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>An eventfd (EFD_CLOEXEC | EFD_NONBLOCK) with count 0.</summary>
    public static EventFdHandle CreateEventFd(string operation)
    {
        int fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        return fd >= 0 ? new EventFdHandle(fd) : throw ErrorFromLastErrno(operation);
    }

    /// <summary>An epoll instance (EPOLL_CLOEXEC).</summary>
    public static EpollHandle CreateEpoll(string operation)
    {
        int fd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        return fd >= 0 ? new EpollHandle(fd) : throw ErrorFromLastErrno(operation);
    }

    /// <summary>Adds <paramref name="fd"/> to <paramref name="epoll"/> for <paramref name="events"/>, tagged with <paramref name="tag"/>.</summary>
    public static void EpollAdd(int epoll, int fd, int events, ulong tag, string operation)
    {
        epoll_event ev = default;
        ev.events = events;
        ev.data.u64 = tag;
        CheckIo(LibC.epoll_ctl(epoll, LibC.EPOLL_CTL_ADD, fd, &ev), operation);
    }

    /// <summary>
    /// Waits for events for at most <paramref name="timeoutNanoseconds"/> (negative: forever), with
    /// nanosecond resolution through epoll_pwait2 (Linux 5.11); on older kernels epoll_wait with the
    /// timeout rounded down to whole milliseconds, the caller spinning out the rest.
    /// Returns the number of events, 0 on timeout or EINTR, -1 with errno set on failure.
    /// </summary>
    public static int EpollWait(int epoll, epoll_event* events, int maxEvents, long timeoutNanoseconds)
    {
        int result;
        if (timeoutNanoseconds >= 0 && Volatile.Read(ref s_epollPwait2Missing) == 0)
        {
            kernel_timespec timeout = new() { tv_sec = timeoutNanoseconds / 1_000_000_000, tv_nsec = timeoutNanoseconds % 1_000_000_000 };
            result = (int)(long)LibC.syscall(SysEpollPwait2, epoll, events, maxEvents, &timeout, 0, 0);
            if (result >= 0 || LastErrno != ENOSYS)
            {
                return result < 0 && LastErrno == EINTR ? 0 : result;
            }
            Volatile.Write(ref s_epollPwait2Missing, 1);
        }
        int milliseconds = timeoutNanoseconds < 0 ? -1 : (int)Math.Min(timeoutNanoseconds / 1_000_000, int.MaxValue);
        result = LibC.epoll_wait(epoll, events, maxEvents, milliseconds);
        return result < 0 && LastErrno == EINTR ? 0 : result;
    }

    /// <summary>
    /// prctl(PR_SET_TIMERSLACK, 1): the kernel may otherwise fire the calling thread's timed waits up to
    /// 50 µs late to batch wake-ups; forwarder threads want their deadlines.
    /// </summary>
    public static void SetPreciseTimerSlack()
    {
        if (s_sysPrctl > 0)
        {
            _ = LibC.syscall(s_sysPrctl, PR_SET_TIMERSLACK, 1);
        }
    }

    /// <summary>
    /// sched_setscheduler(tid, SCHED_FIFO, priority) for the calling thread; false when not allowed
    /// (it needs CAP_SYS_NICE, or an RLIMIT_RTPRIO at least <paramref name="priority"/>).
    /// </summary>
    public static bool SetThreadRealtime(int priority)
    {
        int param = priority; // struct sched_param { int sched_priority; }
        return s_sysSchedSetscheduler > 0 && (long)LibC.syscall(s_sysSchedSetscheduler, GetTid(), SCHED_FIFO, &param) == 0;
    }

    /// <summary>
    /// Equivalent to: ethtool -K DEV tx on tso on (or off): with <paramref name="enable"/> the stack hands
    /// the TAP TCP super-frames of up to 64 KiB with partial checksums, which reads return whole with a
    /// virtio_net_hdr saying how to segment them; without, single packets with complete checksums.
    /// </summary>
    public static void SetTapOffloads(TapHandle tap, bool enable, string operation)
    {
        bool added = false;
        try
        {
            tap.DangerousAddRef(ref added);
            // TUNSETOFFLOAD takes its flags by value, not through a pointer.
            nint flags = enable ? (nint)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) : 0;
            Ioctl(tap.Fd, TUNSETOFFLOAD, (void*)flags, operation);
        }
        finally
        {
            if (added)
            {
                tap.DangerousRelease();
            }
        }
    }

    private const int ENOSYS = 38;

    private static void Ioctl(int fd, int request, void* argument, string operation)
    {
        int result;
        do
        {
            result = LibC.ioctl(fd, request, argument);
        }
        while (result < 0 && LastErrno == EINTR);
        CheckIo(result, operation);
    }
}
