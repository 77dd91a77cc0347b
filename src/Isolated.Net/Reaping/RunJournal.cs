using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Reaping;

// This process's journal under /run/isolated-net: every resource the kernel would not free by itself
// is written here BEFORE it is made, and marked released after it is undone. The journal is owned by
// an flock held for the life of the process; a reaper process started on first need (outside this
// process tree, in its own session) watches this process and, when it dies however it dies, releases
// what is still recorded. A journal whose lock can be taken belongs to a dead run: the next run's
// startup sweep, or `isolated-net reap`, releases it.
internal sealed unsafe class RunJournal
{
    /// <summary>The environment variable that moves the journals (and the reaper's files) elsewhere.</summary>
    public const string DirectoryVariable = "ISOLATED_NET_STATE_DIR";

    private const string DefaultDirectory = "/run/isolated-net";

    // Where journals live: /run/isolated-net for the machine's root, a per-user directory otherwise (see
    // DefaultDirectoryFor), or an absolute path in ISOLATED_NET_STATE_DIR. Every process of a run (the test
    // host, its reaper, the CLI) must see the same value; runs in different directories never see, sweep or
    // reap each other's journals, so a user's reaper only ever reads that user's journals.
    public static string Directory
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable(DirectoryVariable);
            if (string.IsNullOrEmpty(configured))
            {
                return DefaultDirectoryFor(Namespaces.UserNamespaces.IsRealRoot, Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), Namespaces.UserNamespaces.OuterUid);
            }
            if (!System.IO.Path.IsPathFullyQualified(configured))
            {
                throw new InvalidOperationException($"{DirectoryVariable} is '{configured}': it must be an absolute path (or unset for the default, {DefaultDirectory} as root).");
            }
            return System.IO.Path.TrimEndingDirectorySeparator(configured);
        }
    }

    // True when the default per-user directory is in use (a configured one is the user's own choice).
    public static bool IsPerUser => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DirectoryVariable)) && !Namespaces.UserNamespaces.IsRealRoot;

    // The machine's root keeps /run/isolated-net. Anyone else, including uid 0 of `isolated-net exec`'s user
    // namespace (not the machine's root: it cannot write /run), keeps state in $XDG_RUNTIME_DIR/isolated-net,
    // or /tmp/isolated-net-UID (0700) when there is no runtime directory. UID is the uid outside exec's
    // user namespace, so the CLI run outside it finds the same journals.
    internal static string DefaultDirectoryFor(bool realRoot, string? xdgRuntimeDirectory, uint outerUid)
    {
        if (realRoot)
        {
            return DefaultDirectory;
        }
        if (!string.IsNullOrEmpty(xdgRuntimeDirectory) && System.IO.Path.IsPathFullyQualified(xdgRuntimeDirectory))
        {
            return System.IO.Path.Combine(System.IO.Path.TrimEndingDirectorySeparator(xdgRuntimeDirectory), "isolated-net");
        }
        // Literally /tmp, not $TMPDIR: isolated-net exec gives its command a TMPDIR of its own, and the CLI
        // outside must find the same journals.
        return string.Create(CultureInfo.InvariantCulture, $"/tmp/isolated-net-{outerUid}");
    }

    private static readonly Lock s_lock = new();
    private static RunJournal? s_current;

    private int _fd = -1;
    private int _nextId;
    private bool _reaperStarted;

    private RunJournal(string path) => Path = path;

    public string Path { get; }

    /// <summary>The journal of this process, created (after a sweep of dead runs) on first use.</summary>
    public static RunJournal Current
    {
        get
        {
            lock (s_lock)
            {
                return s_current ??= Create();
            }
        }
    }

    /// <summary>Test hook: where the reaper for this process runs, once started.</summary>
    public int? ReaperPid { get; private set; }

    // Equivalent journal line: netns ID inode=I dev=D cookie=C host=NAME — processes may live in it.
    public static int RecordNamespace(NetworkNamespace ns, string owner) =>
        Current.Append("netns", requiresReaper: true, ("inode", ns.Inode), ("dev", ns.Device), ("cookie", ns.Cookie ?? 0), ("owner", owner));

    // process ID pid=P start=T inode=I — written right after fork (the pid is not known before); the
    // netns entry written before covers the moment between.
    public static int RecordProcess(int pid, NetworkNamespace ns) =>
        Current.Append("process", requiresReaper: true, ("pid", pid), ("start", ProcStartTime(pid) ?? 0), ("inode", ns.Inode));

    // rootlink ID name=N alias=TAG — a veth end in the root namespace, before it is made.
    public static int RecordRootLink(string name, string alias) => Current.Append("rootlink", requiresReaper: true, ("name", name), ("alias", alias));

    // mount ID path=/run/netns/NAME — before the mount point is created; `bound ID inode=I` once mounted.
    public static int RecordMount(string path) => Current.Append("mount", requiresReaper: true, ("path", path));

    public static void RecordBound(int id, ulong inode) => Current.Write(JournalEntry.Format("bound", id, ("inode", inode)));

    public static void Release(int id)
    {
        if (id > 0)
        {
            Current.Write(JournalEntry.Format("released", id));
        }
    }

    /// <summary>The start time of a process in clock ticks since boot (/proc/PID/stat field 22), or null.</summary>
    public static long? ProcStartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            // comm (field 2) may hold spaces and parentheses: fields after the last ')' are fixed.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private int Append(string kind, bool requiresReaper, params (string Key, object Value)[] fields)
    {
        lock (this)
        {
            if (requiresReaper && !_reaperStarted)
            {
                try
                {
                    ReaperPid = ReaperLauncher.Start(Path, Environment.ProcessId, ProcStartTime(Environment.ProcessId) ?? 0);
                }
                catch (Exception ex)
                {
                    throw new InvalidOperationException(
                        $"Isolated.Net could not start its crash reaper, so it will not create a resource the kernel does not free by itself ({kind}): {ex.Message}", ex);
                }
                _reaperStarted = true;
            }
            if (_fd < 0)
            {
                // Created only once the reaper watches: a run killed before this point leaves no file.
                _fd = OpenLocked(Path);
            }
            int id = ++_nextId;
            Write(JournalEntry.Format(kind, id, fields));
            return id;
        }
    }

    private void Write(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        fixed (byte* data = bytes)
        {
            // O_APPEND: each line lands whole at the end, even with the reaper reading.
            if ((long)LibC.write(_fd, data, bytes.Length) != bytes.Length)
            {
                throw ErrorFromLastErrno($"writing the run journal {Path}");
            }
        }
    }

    private static RunJournal Create()
    {
        EnsureDirectory();
        Reaper.SweepDeadRuns();
        int pid = Environment.ProcessId;
        long start = ProcStartTime(pid) ?? 0;
        return new RunJournal(System.IO.Path.Combine(Directory, string.Create(CultureInfo.InvariantCulture, $"run-{pid}-{start}.journal")));
    }

    private static int OpenLocked(string path)
    {
        int fd = Open(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_APPEND, 0x1A4); // 0644
        if (fd < 0)
        {
            throw ErrorFromLastErrno($"creating the run journal {path}");
        }
        if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
        {
            var error = ErrorFromLastErrno($"locking the run journal {path}");
            _ = LibC.close(fd);
            throw error;
        }
        int pid = Environment.ProcessId;
        var header = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"run pid={pid} start={ProcStartTime(pid) ?? 0} boot={BootId()} created={DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ} process={SafeToken(Process.GetCurrentProcess().ProcessName)}\n"));
        fixed (byte* data = header)
        {
            _ = LibC.write(fd, data, header.Length);
        }
        return fd;
    }

    internal static void EnsureDirectory()
    {
        var directory = Directory;
        bool perUser = IsPerUser;
        fixed (byte* path = ToCString(directory))
        {
            // 0700 for a per-user directory (other users must not plant journals for our reaper), 0755 for root's.
            if (LibC.mkdir(path, perUser ? (mode_t)0x1C0 : (mode_t)0x1ED) != 0 && LastErrno != EEXIST)
            {
                throw ErrorFromLastErrno($"creating {directory}");
            }
            if (perUser)
            {
                stat st;
                CheckIo(LibC.lstat(path, &st), $"checking {directory}");
                uint euid = LibC.geteuid();
                if ((st.st_mode & LibC.S_IFMT) != LibC.S_IFDIR || st.st_uid != euid)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"Isolated.Net keeps this user's run journals in {directory}, but it is not a directory owned by this user (uid {euid}): refusing to use it. Remove it, or set {DirectoryVariable} to a directory of your own."));
                }
                if ((st.st_mode & 0x3F) != 0) // group or other bits: tighten what we own
                {
                    CheckIo(LibC.chmod(path, (mode_t)0x1C0), $"restricting {directory} to its owner (chmod 0700)");
                }
            }
        }
    }

    // Reads a journal through an fd we opened ourselves: .NET's FileStream takes flock(LOCK_SH) to
    // emulate FileShare, which would collide with the journal's ownership lock.
    internal static string[] ReadLines(int fd)
    {
        var content = new MemoryStream();
        var buffer = new byte[8192];
        long offset = 0;
        fixed (byte* data = buffer)
        {
            while (true)
            {
                long n = (long)LibC.pread(fd, data, buffer.Length, offset);
                if (n < 0 && LastErrno == EINTR)
                {
                    continue;
                }
                if (n <= 0)
                {
                    break;
                }
                content.Write(buffer, 0, (int)n);
                offset += n;
            }
        }
        return Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length).Split('\n');
    }

    internal static string SafeToken(string value) => new(value.Select(c => char.IsWhiteSpace(c) || c == '=' ? '_' : c).ToArray());
}
