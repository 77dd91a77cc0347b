using System.Globalization;
using System.Runtime;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Isolated.Net.Cli;

// `isolated-net exec`: runs a command as root of a new user namespace (plus a mount namespace, and with
// --net a network namespace), the way `unshare --map-root-user --mount` does, but with raw syscalls.
//
// A .NET process is multithreaded, so unshare(CLONE_NEWUSER) fails there (EINVAL); clone(2) of a new
// process with CLONE_NEWUSER does not. The child of a raw clone is a copy of this process with ONE
// thread, in the middle of managed code: it must not allocate, JIT, take a runtime lock or wait for a
// GC (the threads that would finish one do not exist there). So, like the runtime's own fork-and-exec
// and bubblewrap's setup, everything the child touches is prepared before the clone, in native memory:
//   - argv, envp and every path as C strings, the executable already resolved on PATH;
//   - libc entry points as unmanaged function pointers (no lazy P/Invoke binding in the child), called
//     with SuppressGCTransition (no GC mode switch in the child);
//   - the one method that clones and runs the child's few calls, AggressiveOptimization so it is
//     compiled fully in the parent before the clone (no tiering stub or call counting in the child);
//   - a no-GC region around the clone, and tiered compilation off for this tool (runtimeconfig), so
//     no suspension of the runtime is in progress at the moment of the copy.
// Parent: writes /proc/PID/{setgroups,uid_map,gid_map} ("0 UID 1", "deny", "0 GID 1"), closes the sync
// pipe; child: reads the sync pipe to EOF, mounts a private tmpfs on /run/netns (if it exists), brings
// loopback up (--net), restores the default SIGPIPE disposition and signal mask, execve. A failure
// after the clone is sent as (stage, errno) through a close-on-exec pipe, so the parent can report it;
// EOF on that pipe means execve succeeded. The parent forwards SIGTERM/SIGHUP (and SIGINT/SIGQUIT
// unless the terminal already delivered them to the child's process group), waits, and returns the
// child's exit code (128+N when it was killed by signal N).
internal static unsafe class UserNamespaceLauncher
{
    public const int ExitLauncherFailed = 125;
    public const int ExitCannotExecute = 126;
    public const int ExitNotFound = 127;

    private const int CLONE_NEWNS = 0x00020000;
    private const int CLONE_NEWUSER = 0x10000000;
    private const int CLONE_NEWNET = 0x40000000;
    private const int SIGCHLD = 17;
    private const int SIGKILL = 9;
    private const int SIGPIPE = 13;
    private const int PR_SET_PDEATHSIG = 1;
    private const int MS_NOSUID = 2;
    private const int MS_NODEV = 4;
    private const int AF_INET = 2;
    private const int SOCK_DGRAM = 2;
    private const int SOCK_CLOEXEC = 0x80000;
    private const int O_CLOEXEC = 0x80000;
    private const int SIOCGIFFLAGS = 0x8913;
    private const int SIOCSIFFLAGS = 0x8914;
    private const int SIG_SETMASK = 2;
    private const int EINTR = 4;
    private const int ENOENT = 2;

    // Stages reported through the error pipe.
    private const int StageMaps = 1;
    private const int StageLoopback = 2;
    private const int StageExec = 3;
    private const int StageParentGone = 4;

    private static readonly int s_sysClone = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 56,
        Architecture.Arm64 => 220,
        Architecture.Arm => 120,
        _ => -1,
    };

    // What the child needs, in native memory, filled before the clone.
    [StructLayout(LayoutKind.Sequential)]
    private struct ChildPlan
    {
        public int SyncRead;
        public int SyncWrite;
        public int ErrorRead;
        public int ErrorWrite;
        public int ParentPid;
        public int BringLoopbackUp;
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public byte* RunNetns;   // "/run/netns", or null when it does not exist
        public byte* Tmpfs;      // "tmpfs"
        public byte* TmpfsOptions;
        public byte* IfReq;      // struct ifreq for "lo", 40 bytes
        public byte* SigSet;     // an empty sigset_t, 128 bytes
        public int* Report;      // two ints: stage, errno
    }

    // libc entry points, resolved in the parent.
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<long, long, long, long, long, long, long> s_syscall;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, nint, nint> s_read;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, nint, nint> s_write;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, int> s_close;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, byte*, nuint, byte*, int> s_mount;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, int, int, int> s_socket;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nuint, byte*, int> s_ioctl;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nint, nint> s_signal;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, byte*, int> s_sigprocmask;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nuint, nuint, nuint, nuint, int> s_prctl;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int> s_getppid;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte**, byte**, int> s_execve;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int, void> s_exit;
    private static delegate* unmanaged[Cdecl, SuppressGCTransition]<int*> s_errnoLocation;
    private static delegate* unmanaged[Cdecl]<int*, int, int> s_pipe2;
    private static delegate* unmanaged[Cdecl]<int, byte*, nint, nint> s_readBlocking; // the parent's: lets a GC run meanwhile
    private static delegate* unmanaged[Cdecl]<int, int*, int, int> s_waitpid;

    private static void ResolveLibc()
    {
        if (s_errnoLocation != null)
        {
            return;
        }
        var libc = NativeLibrary.Load("libc.so.6");
        s_syscall = (delegate* unmanaged[Cdecl, SuppressGCTransition]<long, long, long, long, long, long, long>)NativeLibrary.GetExport(libc, "syscall");
        s_read = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, nint, nint>)NativeLibrary.GetExport(libc, "read");
        s_write = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, nint, nint>)NativeLibrary.GetExport(libc, "write");
        s_close = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, int>)NativeLibrary.GetExport(libc, "close");
        s_mount = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte*, byte*, nuint, byte*, int>)NativeLibrary.GetExport(libc, "mount");
        s_socket = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, int, int, int>)NativeLibrary.GetExport(libc, "socket");
        s_ioctl = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nuint, byte*, int>)NativeLibrary.GetExport(libc, "ioctl");
        s_signal = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nint, nint>)NativeLibrary.GetExport(libc, "signal");
        s_sigprocmask = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, byte*, byte*, int>)NativeLibrary.GetExport(libc, "sigprocmask");
        s_prctl = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, nuint, nuint, nuint, nuint, int>)NativeLibrary.GetExport(libc, "prctl");
        s_getppid = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int>)NativeLibrary.GetExport(libc, "getppid");
        s_execve = (delegate* unmanaged[Cdecl, SuppressGCTransition]<byte*, byte**, byte**, int>)NativeLibrary.GetExport(libc, "execve");
        s_exit = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int, void>)NativeLibrary.GetExport(libc, "_exit");
        s_pipe2 = (delegate* unmanaged[Cdecl]<int*, int, int>)NativeLibrary.GetExport(libc, "pipe2");
        s_readBlocking = (delegate* unmanaged[Cdecl]<int, byte*, nint, nint>)NativeLibrary.GetExport(libc, "read");
        s_waitpid = (delegate* unmanaged[Cdecl]<int, int*, int, int>)NativeLibrary.GetExport(libc, "waitpid");
        s_errnoLocation = (delegate* unmanaged[Cdecl, SuppressGCTransition]<int*>)NativeLibrary.GetExport(libc, "__errno_location");
    }

    /// <summary>Options of one exec.</summary>
    public sealed record Options(IReadOnlyList<string> Command, bool NewNetwork, bool Verbose);

    /// <summary>
    /// Runs the command and returns its exit code, or 125 (the launcher failed), 126 (cannot execute),
    /// 127 (not found) with the reason on <paramref name="error"/>.
    /// </summary>
    public static int Run(Options options, TextWriter error)
    {
        ResolveLibc();
        var file = options.Command[0];
        var path = ResolveExecutable(file, Environment.GetEnvironmentVariable("PATH"));
        if (path is null)
        {
            error.WriteLine($"isolated-net exec: {file}: command not found");
            return ExitNotFound;
        }
        if (NetworkPrivileges.AreSufficient && !options.NewNetwork)
        {
            // Already root (or holding both capabilities): a user namespace would add nothing.
            if (options.Verbose)
            {
                error.WriteLine($"isolated-net exec: this process already has CAP_NET_ADMIN + CAP_SYS_ADMIN{(NetworkPrivileges.IsRootless ? " (in a user namespace)" : "")}; running {path} directly, without a new user namespace");
            }
            return ExecInPlace(path, options.Command, error);
        }
        if (s_sysClone < 0)
        {
            error.WriteLine($"isolated-net exec: clone(2) is not mapped for {RuntimeInformation.ProcessArchitecture}");
            return ExitLauncherFailed;
        }
        return CloneAndWait(path, options, error);
    }

    /// <summary>The executable execvp would run for <paramref name="file"/>, or null when there is none.</summary>
    internal static string? ResolveExecutable(string file, string? searchPath)
    {
        if (file.Length == 0)
        {
            return null;
        }
        if (file.Contains('/', StringComparison.Ordinal))
        {
            return file;
        }
        foreach (var directory in (string.IsNullOrEmpty(searchPath) ? "/usr/local/bin:/usr/bin:/bin" : searchPath).Split(':'))
        {
            var candidate = Path.Combine(directory.Length == 0 ? "." : directory, file);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The text of a uid_map/gid_map that maps root of the new namespace to <paramref name="outerId"/>.</summary>
    internal static string RootMap(uint outerId) => string.Create(CultureInfo.InvariantCulture, $"0 {outerId} 1\n");

    /// <summary>An exit status as a shell reports it: the code, or 128+N when killed by signal N.</summary>
    internal static int ExitCodeOf(int status) => (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);

    private static int ExecInPlace(string path, IReadOnlyList<string> command, TextWriter error)
    {
        var strings = new NativeStrings();
        try
        {
            byte* cpath = strings.Add(path);
            byte** argv = strings.AddArray(command);
            byte** envp = strings.AddArray(EnvironmentStrings());
            _ = s_signal(SIGPIPE, 0); // .NET ignores SIGPIPE, and an ignored signal survives execve
            _ = s_execve(cpath, argv, envp);
            int errno = *s_errnoLocation();
            error.WriteLine($"isolated-net exec: exec failed: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)}): {path}");
            return errno == ENOENT ? ExitNotFound : ExitCannotExecute;
        }
        finally
        {
            strings.Dispose();
        }
    }

    private static int CloneAndWait(string path, Options options, TextWriter error)
    {
        var strings = new NativeStrings();
        var plan = (ChildPlan*)NativeMemory.AllocZeroed((nuint)sizeof(ChildPlan));
        plan->SyncRead = plan->SyncWrite = plan->ErrorRead = plan->ErrorWrite = -1;
        int childPid = 0;
        using var forwarding = new SignalForwarding();
        try
        {
            int* fds = stackalloc int[2];
            if (s_pipe2(fds, O_CLOEXEC) != 0)
            {
                return Fail(error, "creating a pipe (pipe2)", *s_errnoLocation());
            }
            (plan->SyncRead, plan->SyncWrite) = (fds[0], fds[1]);
            if (s_pipe2(fds, O_CLOEXEC) != 0)
            {
                return Fail(error, "creating a pipe (pipe2)", *s_errnoLocation());
            }
            (plan->ErrorRead, plan->ErrorWrite) = (fds[0], fds[1]);
            plan->ParentPid = System.Environment.ProcessId;
            plan->BringLoopbackUp = options.NewNetwork ? 1 : 0;
            plan->Path = strings.Add(path);
            plan->Argv = strings.AddArray(options.Command);
            plan->Envp = strings.AddArray(EnvironmentStrings(PrivateTemp(error)));
            plan->RunNetns = Directory.Exists("/run/netns") ? strings.Add("/run/netns") : null;
            plan->Tmpfs = strings.Add("tmpfs");
            plan->TmpfsOptions = strings.Add("mode=0755");
            plan->IfReq = strings.Zeroed(40);
            plan->IfReq[0] = (byte)'l';
            plan->IfReq[1] = (byte)'o';
            plan->SigSet = strings.Zeroed(128);
            plan->Report = (int*)strings.Zeroed(2 * sizeof(int));

            long flags = CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD | (options.NewNetwork ? CLONE_NEWNET : 0);
            bool noGc = GC.TryStartNoGCRegion(16 * 1024 * 1024);
            try
            {
                childPid = CloneChild(plan, flags, s_sysClone);
            }
            finally
            {
                if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    GC.EndNoGCRegion();
                }
            }
            if (childPid < 0)
            {
                int errno = -childPid;
                var blocker = NetworkPrivileges.RootlessBlocker;
                error.WriteLine($"isolated-net exec: creating a user namespace (clone CLONE_NEWUSER) failed: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})"
                    + (blocker is null ? "" : $"; {blocker}"));
                return ExitLauncherFailed;
            }
            forwarding.Child = childPid;
            _ = s_close(plan->SyncRead);
            plan->SyncRead = -1;
            _ = s_close(plan->ErrorWrite);
            plan->ErrorWrite = -1;

            if (WriteMaps(childPid, error) is { } mapFailure)
            {
                byte abort = 1;
                _ = s_write(plan->SyncWrite, &abort, 1);
                _ = s_close(plan->SyncWrite);
                plan->SyncWrite = -1;
                _ = WaitForExit(childPid);
                return mapFailure;
            }
            if (options.Verbose)
            {
                error.WriteLine($"isolated-net exec: pid {childPid} runs {path} as uid 0 of a new user namespace (mapped to uid {Tmds.Linux.LibC.geteuid()} outside), with a new mount namespace{(options.NewNetwork ? " and a new network namespace (loopback up)" : "; the network namespace is this one")}");
            }
            _ = s_close(plan->SyncWrite); // EOF: the child goes on
            plan->SyncWrite = -1;

            int* report = plan->Report;
            if (!WaitReadable(plan->ErrorRead, TimeSpan.FromSeconds(30)))
            {
                // The child never reached execve: it can only be stuck in the runtime it was copied from.
                _ = Tmds.Linux.LibC.kill(childPid, SIGKILL);
                _ = WaitForExit(childPid);
                error.WriteLine("isolated-net exec: the new process did not reach execve within 30 s and was killed; please retry, and report it if it repeats");
                return ExitLauncherFailed;
            }
            int got = ReadFully(plan->ErrorRead, (byte*)report, 2 * sizeof(int));
            _ = s_close(plan->ErrorRead);
            plan->ErrorRead = -1;
            if (got == 2 * sizeof(int))
            {
                int stage = report[0], errno = report[1];
                _ = WaitForExit(childPid);
                var what = stage switch
                {
                    StageMaps => "waiting for the uid/gid maps",
                    StageLoopback => "bringing loopback up in the new network namespace",
                    StageParentGone => "starting (isolated-net exited first)",
                    _ => "exec " + path,
                };
                error.WriteLine($"isolated-net exec: {(stage == StageExec ? "exec failed" : what + " failed")}: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)}){(stage == StageExec ? ": " + path : "")}");
                return stage != StageExec ? ExitLauncherFailed : errno == ENOENT ? ExitNotFound : ExitCannotExecute;
            }
            int status = WaitForExit(childPid);
            return ExitCodeOf(status);
        }
        finally
        {
            foreach (int fd in new[] { plan->SyncRead, plan->SyncWrite, plan->ErrorRead, plan->ErrorWrite })
            {
                if (fd >= 0)
                {
                    _ = s_close(fd);
                }
            }
            NativeMemory.Free(plan);
            strings.Dispose();
        }
    }

    // The one method that runs in the child. Nothing here may allocate or call managed code that is not
    // already compiled: only the unmanaged function pointers resolved above, over the native plan.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int CloneChild(ChildPlan* plan, long flags, int sysClone)
    {
        long pid = s_syscall(sysClone, flags, 0, 0, 0, 0);
        if (pid != 0)
        {
            return pid > 0 ? (int)pid : -*s_errnoLocation();
        }

        // --- the child: one thread, new user and mount (and network) namespaces, no uid yet ---
        int* report = plan->Report;
        _ = s_close(plan->SyncWrite);
        _ = s_close(plan->ErrorRead);
        // Die with isolated-net (a SIGKILL of the tool must not leave the test host running unwatched).
        _ = s_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (s_getppid() != plan->ParentPid)
        {
            report[0] = StageParentGone;
            report[1] = 3; // ESRCH
            _ = s_write(plan->ErrorWrite, (byte*)report, 2 * sizeof(int));
            s_exit(ExitLauncherFailed);
        }
        byte b;
        while (true)
        {
            nint n = s_read(plan->SyncRead, &b, 1);
            if (n == 0)
            {
                break; // EOF: the maps are written
            }
            if (n < 0 && *s_errnoLocation() == EINTR)
            {
                continue;
            }
            s_exit(ExitLauncherFailed); // the parent gave up (it reports why)
        }
        _ = s_close(plan->SyncRead);

        if (plan->RunNetns != null)
        {
            // A private, empty /run/netns for this session: named namespaces work rootless (the real one
            // belongs to the machine's root), and nothing made here shows outside.
            _ = s_mount(plan->Tmpfs, plan->RunNetns, plan->Tmpfs, MS_NOSUID | MS_NODEV, plan->TmpfsOptions);
        }
        if (plan->BringLoopbackUp != 0)
        {
            // Equivalent to: ip link set lo up
            int fd = s_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            short* ifrFlags = (short*)(plan->IfReq + 16);
            if (fd < 0 || s_ioctl(fd, SIOCGIFFLAGS, plan->IfReq) < 0)
            {
                report[0] = StageLoopback;
                report[1] = *s_errnoLocation();
                _ = s_write(plan->ErrorWrite, (byte*)report, 2 * sizeof(int));
                s_exit(ExitLauncherFailed);
            }
            *ifrFlags |= 1; // IFF_UP
            if (s_ioctl(fd, SIOCSIFFLAGS, plan->IfReq) < 0)
            {
                report[0] = StageLoopback;
                report[1] = *s_errnoLocation();
                _ = s_write(plan->ErrorWrite, (byte*)report, 2 * sizeof(int));
                s_exit(ExitLauncherFailed);
            }
            _ = s_close(fd);
        }
        _ = s_signal(SIGPIPE, 0); // SIG_DFL: .NET ignores SIGPIPE, and an ignored signal survives execve
        _ = s_sigprocmask(SIG_SETMASK, plan->SigSet, null);
        _ = s_execve(plan->Path, plan->Argv, plan->Envp);
        report[0] = StageExec;
        report[1] = *s_errnoLocation();
        _ = s_write(plan->ErrorWrite, (byte*)report, 2 * sizeof(int));
        s_exit(ExitCannotExecute);
        return 0;
    }

    private static int? WriteMaps(int pid, TextWriter error)
    {
        uint uid = Tmds.Linux.LibC.geteuid(), gid = Tmds.Linux.LibC.getegid();
        var steps = new (string File, string Text)[]
        {
            ("uid_map", RootMap(uid)),
            ("setgroups", "deny\n"), // required before an unprivileged gid_map
            ("gid_map", RootMap(gid)),
        };
        foreach (var (file, text) in steps)
        {
            var target = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/{file}");
            try
            {
                File.WriteAllText(target, text);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"isolated-net exec: writing \"{text.Trim()}\" to {target} failed: {ex.Message}");
                return ExitLauncherFailed;
            }
        }
        return null;
    }

    // Inside the namespace the user is "root", and tools that name temporary files after the user (NuGet's
    // /tmp/NuGetScratchroot, MSBuild's node files) would collide with the machine root's, which this user
    // cannot touch. With TMPDIR unset, give the command a temporary directory of the user's own.
    private static Dictionary<string, string>? PrivateTemp(TextWriter error)
    {
        if (!string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("TMPDIR")))
        {
            return null;
        }
        var directory = string.Create(CultureInfo.InvariantCulture, $"/tmp/isolated-net-exec-{Tmds.Linux.LibC.geteuid()}");
        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is not null || File.GetUnixFileMode(directory) != (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute) || !OwnedByMe(directory))
            {
                error.WriteLine($"isolated-net exec: {directory} is not a private directory of this user; TMPDIR left unset");
                return null;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"isolated-net exec: cannot create {directory} ({ex.Message}); TMPDIR left unset");
            return null;
        }
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["TMPDIR"] = directory };
    }

    private static bool OwnedByMe(string path)
    {
        Tmds.Linux.stat st;
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return Tmds.Linux.LibC.lstat(p, &st) == 0 && st.st_uid == Tmds.Linux.LibC.geteuid();
        }
    }

    // True once fd has data or EOF (the child exec'd, closing its close-on-exec end), false on timeout.
    private static bool WaitReadable(int fd, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var poll = new Tmds.Linux.pollfd { fd = fd, events = Tmds.Linux.LibC.POLLIN };
            int left = (int)Math.Max(0, (deadline - DateTime.UtcNow).TotalMilliseconds);
            int rc = Tmds.Linux.LibC.poll(&poll, 1, left);
            if (rc > 0 || (rc < 0 && Tmds.Linux.LibC.errno != EINTR))
            {
                return true; // readable, hung up, or poll failed: let read decide
            }
            if (rc == 0)
            {
                return false;
            }
        }
    }

    private static int ReadFully(int fd, byte* buffer, int length)
    {
        int got = 0;
        while (got < length)
        {
            nint n = s_readBlocking(fd, buffer + got, length - got);
            if (n < 0 && *s_errnoLocation() == EINTR)
            {
                continue;
            }
            if (n <= 0)
            {
                break;
            }
            got += (int)n;
        }
        return got;
    }

    private static int WaitForExit(int pid)
    {
        int status = 0;
        while (true)
        {
            int rc = s_waitpid(pid, &status, 0);
            if (rc == pid)
            {
                return status;
            }
            if (rc < 0 && *s_errnoLocation() != EINTR)
            {
                return 0xff << 8; // cannot happen for our own child; report 255
            }
        }
    }

    private static int Fail(TextWriter error, string operation, int errno)
    {
        error.WriteLine($"isolated-net exec: {operation} failed: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})");
        return ExitLauncherFailed;
    }

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        7 => "E2BIG",
        8 => "ENOEXEC",
        12 => "ENOMEM",
        13 => "EACCES",
        22 => "EINVAL",
        26 => "ETXTBSY",
        28 => "ENOSPC",
        40 => "ELOOP",
        87 => "EUSERS",
        _ => "E" + errno.ToString(CultureInfo.InvariantCulture),
    };

    private static List<string> EnvironmentStrings(Dictionary<string, string>? extra = null)
    {
        var list = new List<string>();
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (extra is null || !extra.ContainsKey((string)entry.Key))
            {
                list.Add($"{entry.Key}={entry.Value}");
            }
        }
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            list.Add($"{key}={value}");
        }
        list.Sort(StringComparer.Ordinal);
        return list;
    }

    // C strings and pointer arrays in native memory, freed together.
    private sealed class NativeStrings : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public byte* Add(string value)
        {
            int length = Encoding.UTF8.GetByteCount(value);
            var p = (byte*)Zeroed(length + 1);
            Encoding.UTF8.GetBytes(value, new Span<byte>(p, length));
            return p;
        }

        public byte** AddArray(IReadOnlyList<string> values)
        {
            var array = (byte**)Zeroed((values.Count + 1) * sizeof(byte*));
            for (int i = 0; i < values.Count; i++)
            {
                array[i] = Add(values[i]);
            }
            return array;
        }

        public byte* Zeroed(int length)
        {
            var p = (byte*)NativeMemory.AllocZeroed((nuint)length);
            _blocks.Add((nint)p);
            return p;
        }

        public void Dispose()
        {
            foreach (var block in _blocks)
            {
                NativeMemory.Free((void*)block);
            }
            _blocks.Clear();
        }
    }

    // SIGTERM/SIGHUP go to the child; SIGINT/SIGQUIT too, unless the terminal already sent them to the
    // child (it shares our foreground process group), so a Ctrl-C arrives once, not twice.
    private sealed class SignalForwarding : IDisposable
    {
        private readonly List<PosixSignalRegistration> _registrations = [];
        private volatile int _child;

        public SignalForwarding()
        {
            foreach (var (signal, number, fromTerminal) in new[] { (PosixSignal.SIGTERM, 15, false), (PosixSignal.SIGHUP, 1, false), (PosixSignal.SIGINT, 2, true), (PosixSignal.SIGQUIT, 3, true) })
            {
                _registrations.Add(PosixSignalRegistration.Create(signal, context =>
                {
                    context.Cancel = true; // isolated-net stays to report the child's exit
                    int child = _child;
                    if (child > 0 && !(fromTerminal && TerminalDeliversToUs()))
                    {
                        _ = Tmds.Linux.LibC.kill(child, number);
                    }
                }));
            }
        }

        public int Child
        {
            set => _child = value;
        }

        public void Dispose()
        {
            foreach (var registration in _registrations)
            {
                registration.Dispose();
            }
        }

        private static bool TerminalDeliversToUs()
        {
            for (int fd = 0; fd <= 2; fd++)
            {
                if (Tmds.Linux.LibC.isatty(fd) == 1)
                {
                    return Tmds.Linux.LibC.tcgetpgrp(fd) == Tmds.Linux.LibC.getpgrp();
                }
            }
            return false;
        }
    }
}
