using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

/// <summary>
/// A Linux network namespace with its own dedicated thread. <see cref="Create()"/> makes an anonymous
/// namespace held only by a file descriptor (and that thread): when both are gone — on dispose, or when
/// the process dies, even by SIGKILL — the kernel frees it and everything inside it. Code runs inside
/// through <see cref="Run(Action, CancellationToken)"/> and <see cref="RunAsync(Func{Task}, CancellationToken)"/>;
/// sockets and HTTP clients bound to the namespace can be made from any thread.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed partial class NetworkNamespace : IAsyncDisposable, IDisposable
{
    /// <summary>Where iproute2 keeps named namespaces; <c>ip netns exec NAME</c> looks here.</summary>
    public const string NamedNamespaceDirectory = "/run/netns";

    // Started at creation, or on first use for a namespace made by a thread that went back out (see
    // CreateHere); stopped on dispose.
    private NamespaceThread? _thread;
    private readonly Lock _threadLock = new();
    private readonly NamespaceHandle _handle;
    private readonly string? _mountPath;
    private readonly int _mountJournalId;
    private int _disposed;

    private NetworkNamespace(NamespaceThread? thread, NamespaceHandle handle, string? name, (string Path, int JournalId)? mount, bool isOwned, ulong? cookie)
    {
        _thread = thread;
        _handle = handle;
        _mountPath = mount?.Path;
        _mountJournalId = mount?.JournalId ?? 0;
        Name = name;
        IsOwned = isOwned;
        Cookie = cookie;
        (Device, Inode) = FileIdentity(handle.Fd, "reading the namespace inode (fstat)");
    }

    /// <summary>The name under /run/netns for named namespaces; null for anonymous ones.</summary>
    public string? Name { get; }

    /// <summary>The nsfs inode number: the namespace's identity, as <c>readlink /proc/PID/ns/net</c> shows it.</summary>
    public ulong Inode { get; }

    /// <summary>The nsfs device number; together with <see cref="Inode"/> it identifies the namespace uniquely.</summary>
    public ulong Device { get; }

    /// <summary>The kernel's 64-bit namespace cookie (SO_NETNS_COOKIE), never reused; null on kernels before 5.14.</summary>
    public ulong? Cookie { get; }

    /// <summary>True when this object created the namespace (dispose removes it); false for opened ones.</summary>
    public bool IsOwned { get; }

    /// <summary>Kernel thread id of the namespace thread (started now if nothing has run inside yet).</summary>
    public int ThreadId => Thread.Tid;

    /// <summary>
    /// A path other processes can use to enter the namespace while it lives, e.g.
    /// <c>nsenter --net=/proc/PID/task/TID/ns/net</c>.
    /// </summary>
    public string ProcPath => string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/task/{Thread.Tid}/ns/net");

    /// <summary>True when the calling thread is this namespace's thread.</summary>
    public bool IsCurrentThread => Volatile.Read(ref _thread)?.IsCurrent == true;

    internal NamespaceHandle Handle => _handle;

    // The namespace thread, entering the namespace now (setns on its fd) if it has not run yet.
    private NamespaceThread Thread
    {
        get
        {
            if (Volatile.Read(ref _thread) is { } thread)
            {
                return thread;
            }
            lock (_threadLock)
            {
                if (_thread is null)
                {
                    ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                    var handle = _handle;
                    var operation = $"entering {this} (setns)";
                    (_thread, _) = NamespaceThread.Start(ThreadName(Name), () => CheckIo(LibC.setns(handle.Fd, CLONE_NEWNET), operation));
                }
                return _thread;
            }
        }
    }

    /// <summary>
    /// Creates an anonymous network namespace with loopback up. Nothing appears in /run/netns; the
    /// kernel frees the namespace once this object is disposed or the process exits.
    /// </summary>
    /// <exception cref="InsufficientPrivilegesException">The process lacks CAP_SYS_ADMIN.</exception>
    public static NetworkNamespace Create() => CreateCore(name: null);

    /// <summary>
    /// Creates a namespace that is also bind-mounted at /run/netns/<paramref name="name"/>, so
    /// <c>ip netns exec NAME ...</c> works while it lives. Dispose unmounts and removes it; after a
    /// crash the reaper does. Prefer <see cref="Create()"/> unless you need to look inside by hand.
    /// </summary>
    /// <param name="name">The /run/netns name: 1–255 bytes, no '/', not '.' or '..'.</param>
    /// <exception cref="ArgumentException">The name is not a valid file name.</exception>
    /// <exception cref="NameInUseException">A namespace of that name exists.</exception>
    public static NetworkNamespace Create(string name)
    {
        ValidateName(name);
        return CreateCore(name);
    }

    /// <summary>
    /// Opens an existing namespace: a name under /run/netns, or a path (anything containing '/') such
    /// as <c>/proc/1234/ns/net</c>. The namespace is not owned: dispose leaves it in place.
    /// </summary>
    /// <param name="nameOrPath">A /run/netns name or an nsfs path.</param>
    public static NetworkNamespace Open(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        string? name = null;
        string path = nameOrPath;
        if (!nameOrPath.Contains('/', StringComparison.Ordinal))
        {
            ValidateName(nameOrPath);
            name = nameOrPath;
            path = Path.Combine(NamedNamespaceDirectory, nameOrPath);
        }
        return OpenCore(path, name, $"opening network namespace '{nameOrPath}'");
    }

    /// <summary>Opens the network namespace process <paramref name="pid"/> lives in. Not owned.</summary>
    /// <param name="pid">A process id.</param>
    public static NetworkNamespace OpenProcess(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        return OpenCore(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/ns/net"), null, $"opening the network namespace of process {pid}");
    }

    /// <summary>Releases the namespace: stops its thread, closes its fd, unmounts a named one.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        lock (_threadLock)
        {
            _thread?.Stop();
        }
        CloseNetlink();
        CloseNetfilter();
        if (_mountPath is not null)
        {
            NamedNamespaces.Remove(_mountPath, _mountJournalId);
        }
        _handle.Dispose();
    }

    /// <summary>Same as <see cref="Dispose"/>: closing fds is fast, so nothing is awaited.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"netns {(Name is null ? "(anonymous)" : "'" + Name + "'")} net:[{Inode}]");

    private static NetworkNamespace CreateCore(string? name) => BeginCreate(name, default).Complete();

    // Per namespace a thread would come back to (nsfs device and inode): whether it can (setns needs
    // CAP_SYS_ADMIN over that namespace's user namespace). The answer belongs to the namespace, not the
    // process: rootless, the machine's namespace (the initial user namespace's) refuses, while one of our
    // own, where a stray thread may sit, accepts. A thread that cannot unshare fails before leaving.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(ulong Device, ulong Inode), bool> s_canReturnTo = new();

    /// <summary>
    /// Creates an anonymous namespace on the calling thread, as a C program would: unshare, prepare,
    /// setns back to where the thread was. No thread is started or woken: the namespace thread starts
    /// on first use. Null when the calling thread could not come back (then nothing was changed), and
    /// the caller uses a namespace thread (<see cref="BeginCreate"/>) instead.
    /// </summary>
    internal static NetworkNamespace? TryCreateHere(NamespacePreparation preparation)
    {
        if (NamespaceThread.Current is not null)
        {
            // A namespace thread's body may not even for a moment run elsewhere.
            return null;
        }
        using var transit = NamespaceThread.Transit();
        using var home = OpenNamespaceFd("/proc/thread-self/ns/net", "opening /proc/thread-self/ns/net");
        var identity = FileIdentity(home.Fd, "reading the namespace inode (fstat)");
        if (!s_canReturnTo.TryGetValue(identity, out bool canReturn))
        {
            // Entering the namespace it is already in checks the same permission coming back needs.
            canReturn = LibC.setns(home.Fd, CLONE_NEWNET) == 0;
            s_canReturnTo[identity] = canReturn;
        }
        if (!canReturn)
        {
            return null;
        }
        CheckIo(LibC.unshare(CLONE_NEWNET), "creating a network namespace (unshare CLONE_NEWNET)");
        NamespaceHandle? handle = null;
        (NetlinkSocketHandle Handle, uint PortId)? netlink = null;
        ulong? cookie;
        try
        {
            handle = OpenNamespaceFd("/proc/thread-self/ns/net", "opening /proc/thread-self/ns/net");
            cookie = SetLoopbackUpAndReadCookie();
            netlink = preparation.ApplyHere();
        }
        catch
        {
            netlink?.Handle.Dispose();
            handle?.Dispose();
            ReturnHome(home);
            throw;
        }
        ReturnHome(home);
        var ns = new NetworkNamespace(thread: null, handle, name: null, mount: null, isOwned: true, cookie);
        if (netlink is { } socket)
        {
            ns.AdoptNetlink(Isolated.Net.Netlink.RouteNetlinkSocket.Adopt(socket.Handle, socket.PortId, ns));
        }
        return ns;

        static void ReturnHome(NamespaceHandle home)
        {
            if (LibC.setns(home.Fd, CLONE_NEWNET) != 0)
            {
                // Checked for this very namespace above, so this cannot happen short of a kernel change;
                // never leave a caller's thread in a namespace it did not ask for without saying so.
                Environment.FailFast("Isolated.Net could not return a thread to its network namespace after creating one: " + ErrorFromLastErrno("setns").Message);
            }
        }
    }

    /// <summary>
    /// Starts creating a namespace and returns without waiting, so a topology's namespaces are entered
    /// in parallel; <see cref="PendingNamespace.Complete"/> waits for it. <paramref name="preparation"/>
    /// is done on the namespace thread on its way in, saving a hop per step.
    /// </summary>
    internal static PendingNamespace BeginCreate(string? name, NamespacePreparation preparation)
    {
        (string Path, int JournalId)? mount = null;
        if (name is not null)
        {
            mount = NamedNamespaces.Reserve(name);
        }
        try
        {
            var pending = NamespaceThread.Begin(ThreadName(name), () =>
            {
                CheckIo(LibC.unshare(CLONE_NEWNET), "creating a network namespace (unshare CLONE_NEWNET)");
                var handle = OpenNamespaceFd("/proc/thread-self/ns/net", "opening /proc/thread-self/ns/net");
                try
                {
                    var cookie = SetLoopbackUpAndReadCookie();
                    var netlink = preparation.ApplyHere();
                    if (mount is { } m)
                    {
                        NamedNamespaces.BindCurrentThread(m.Path, name!, m.JournalId);
                    }
                    return new Entered(handle, cookie, netlink);
                }
                catch
                {
                    handle.Dispose();
                    throw;
                }
            });
            return new PendingNamespace(pending, name, mount);
        }
        catch
        {
            if (mount is { } m)
            {
                NamedNamespaces.Remove(m.Path, m.JournalId);
            }
            throw;
        }
    }

    internal readonly record struct Entered(NamespaceHandle Handle, ulong? Cookie, (NetlinkSocketHandle Handle, uint PortId)? Netlink);

    /// <summary>A namespace being created on its thread; <see cref="Complete"/> waits for it.</summary>
    internal sealed class PendingNamespace
    {
        private readonly NamespaceThread.PendingStart<Entered> _start;
        private readonly string? _name;
        private readonly (string Path, int JournalId)? _mount;

        internal PendingNamespace(NamespaceThread.PendingStart<Entered> start, string? name, (string Path, int JournalId)? mount)
        {
            _start = start;
            _name = name;
            _mount = mount;
        }

        public NetworkNamespace Complete()
        {
            try
            {
                var (thread, entered) = _start.Wait();
                var ns = new NetworkNamespace(thread, entered.Handle, _name, _mount, isOwned: true, entered.Cookie);
                if (entered.Netlink is { } netlink)
                {
                    ns.AdoptNetlink(Isolated.Net.Netlink.RouteNetlinkSocket.Adopt(netlink.Handle, netlink.PortId, ns));
                }
                return ns;
            }
            catch
            {
                if (_mount is { } m)
                {
                    NamedNamespaces.Remove(m.Path, m.JournalId);
                }
                throw;
            }
        }
    }

    private static NetworkNamespace OpenCore(string path, string? name, string operation)
    {
        var handle = OpenNamespaceFd(path, operation);
        try
        {
            var (thread, cookie) = NamespaceThread.Start(ThreadName(name), () =>
            {
                CheckIo(LibC.setns(handle.Fd, CLONE_NEWNET), $"{operation} (setns)");
                return ReadCookie();
            });
            return new NetworkNamespace(thread, handle, name, mount: null, isOwned: false, cookie);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static NamespaceHandle OpenNamespaceFd(string path, string operation)
    {
        int fd = Interop.Interop.Open(path, LibC.O_RDONLY);
        if (fd < 0)
        {
            throw ErrorFromLastErrno(operation);
        }
        return new NamespaceHandle(fd);
    }

    // Equivalent to: ip link set lo up
    // One socket for both: the namespace cookie is a property of any socket made here.
    private static unsafe ulong? SetLoopbackUpAndReadCookie()
    {
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        CheckIo(fd, "bringing loopback up (socket)");
        try
        {
            ifreq request = default;
            request.ifr_name[0] = (byte)'l';
            request.ifr_name[1] = (byte)'o';
            CheckIo(LibC.ioctl(fd, SIOCGIFFLAGS, &request), "bringing loopback up (SIOCGIFFLAGS lo)");
            request.ifr_flags |= IFF_UP;
            CheckIo(LibC.ioctl(fd, SIOCSIFFLAGS, &request), "bringing loopback up (SIOCSIFFLAGS lo)");
            return ReadCookie(fd);
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }

    private static unsafe ulong? ReadCookie()
    {
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return null;
        }
        try
        {
            return ReadCookie(fd);
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }

    private static unsafe ulong? ReadCookie(int fd)
    {
        ulong cookie;
        socklen_t length = sizeof(ulong);
        return LibC.getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &length) == 0 ? cookie : null;
    }

    private static string ThreadName(string? name) => name is null ? "netns" : "netns:" + name;

    internal static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal) || name.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException($"Network namespace name '{name}' is not valid: it must not be '.' or '..' nor contain '/', NUL or whitespace.", nameof(name));
        }
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 255)
        {
            throw new ArgumentException($"Network namespace name '{name}' is longer than 255 bytes.", nameof(name));
        }
    }
}
