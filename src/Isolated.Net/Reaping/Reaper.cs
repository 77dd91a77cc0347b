using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Reaping;

// Releases what a dead run left: processes inside its namespaces, then /run/netns bind mounts, in
// reverse order of creation. Every item is checked against its recorded identity first (pid with its
// start time and namespace inode; namespace inode with its never-reused cookie; mount with the nsfs
// inode it showed): what does not match is reported and left alone. Nothing not journaled is touched.
internal static unsafe class Reaper
{
    public static int Main(string[] args)
    {
        if (args.Length == 4 && args[0] == ReaperLauncher.LaunchVerb)
        {
            // First hop: start the watcher and leave, so the watcher is no child of the test host.
            var startInfo = ReaperLauncher.ReaperStartInfo(ReaperLauncher.WatchVerb, args[1], args[2], args[3]);
            using var watcher = Process.Start(startInfo);
            return watcher is null ? 1 : 0;
        }
        if (args.Length == 4 && args[0] == ReaperLauncher.WatchVerb)
        {
            return Watch(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), long.Parse(args[3], CultureInfo.InvariantCulture));
        }
        Console.Error.WriteLine("Isolated.Net reaper: usage: reaper-launch|reaper-watch JOURNAL PID STARTTIME (started by the library; use the isolated-net CLI instead)");
        return 2;
    }

    private static int Watch(string journal, int hostPid, long hostStart)
    {
        _ = LibC.setsid(); // own session and process group: kill -PGID and terminal signals miss us
        var ignored = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
            .Select(s => PosixSignalRegistration.Create(s, context => context.Cancel = true)).ToList();

        int pidfd = PidfdOpen(hostPid);
        bool hostAlive = pidfd >= 0 && RunJournal.ProcStartTime(hostPid) == hostStart;
        Console.Out.Write(string.Create(CultureInfo.InvariantCulture, $"ready {Environment.ProcessId}\n"));
        Console.Out.Flush();
        DetachStandardStreams();

        if (hostAlive)
        {
            var poll = new pollfd { fd = pidfd, events = (short)LibC.POLLIN };
            while (LibC.poll(&poll, 1, -1) < 0 && LastErrno == EINTR)
            {
            }
        }
        if (pidfd >= 0)
        {
            _ = LibC.close(pidfd);
        }
        ReleaseJournal(journal, dryRun: false, waitForLock: true);
        GC.KeepAlive(ignored);
        return 0;
    }

    private static void DetachStandardStreams()
    {
        fixed (byte* devNull = ToCString("/dev/null"))
        {
            int fd = LibC.open(devNull, LibC.O_RDWR, 0);
            if (fd >= 0)
            {
                _ = LibC.dup2(fd, 0);
                _ = LibC.dup2(fd, 1);
                _ = LibC.dup2(fd, 2);
                _ = LibC.close(fd);
            }
        }
    }

    /// <summary>Releases every journal whose lock can be taken: its run (and its reaper) are dead.</summary>
    public static IReadOnlyList<string> SweepDeadRuns(bool dryRun = false)
    {
        var report = new List<string>();
        if (!System.IO.Directory.Exists(RunJournal.Directory))
        {
            return report;
        }
        foreach (var journal in System.IO.Directory.EnumerateFiles(RunJournal.Directory, "run-*.journal"))
        {
            report.AddRange(ReleaseJournal(journal, dryRun, waitForLock: false));
        }
        return report;
    }

    /// <summary>
    /// Takes the journal's lock (waiting if asked; skipping a live run if not), releases what it
    /// records, and deletes it. Returns one line per action, saying what was done or why not.
    /// </summary>
    public static IReadOnlyList<string> ReleaseJournal(string journal, bool dryRun, bool waitForLock)
    {
        var report = new List<string>();
        int fd = Open(journal, LibC.O_RDWR);
        if (fd < 0)
        {
            return report; // already released by someone else
        }
        try
        {
            if (Flock(fd, LOCK_EX | (waitForLock ? 0 : LOCK_NB)) != 0)
            {
                return report; // a live run holds it
            }
            if (!File.Exists(journal))
            {
                return report; // released and deleted while we waited
            }
            var (header, entries) = JournalEntry.Parse(RunJournal.ReadLines(fd));
            if (header.TryGetValue("boot", out var boot) && boot != RunJournal.BootId())
            {
                report.Add($"{journal}: from an earlier boot; nothing of it can remain");
            }
            else
            {
                foreach (var entry in entries.Where(e => !e.Released).Reverse())
                {
                    report.Add(ClaimedByAnotherRun(entry, journal) is { } other
                        ? $"{entry}: now recorded by {other}; left alone"
                        : Release(entry, dryRun));
                }
            }
            if (!dryRun)
            {
                File.Delete(journal);
                report.Add($"{journal}: released and removed");
            }
            return report;
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }

    private static string Release(JournalEntry entry, bool dryRun) => entry.Kind switch
    {
        "process" => ReleaseProcess(entry, dryRun),
        "netns" => ReleaseNamespace(entry, dryRun),
        "mount" => ReleaseMount(entry, dryRun),
        "rootlink" => ReleaseRootLink(entry, dryRun),
        _ => $"{entry}: unknown kind, left alone",
    };

    private static string ReleaseProcess(JournalEntry entry, bool dryRun)
    {
        int pid = (int)entry.GetInt64("pid");
        var start = RunJournal.ProcStartTime(pid);
        if (start is null)
        {
            return $"{entry}: already gone";
        }
        if (start != entry.GetInt64("start") || NamespaceInodeOf(pid) != (ulong)entry.GetInt64("inode"))
        {
            return $"{entry}: pid {pid} is now another process; left alone";
        }
        if (!dryRun)
        {
            _ = LibC.kill(pid, LibC.SIGKILL);
        }
        return $"{entry}: {(dryRun ? "would kill" : "killed")} pid {pid}";
    }

    // Kills every process inside the namespace, repeatedly (a dying parent may fork once more).
    private static string ReleaseNamespace(JournalEntry entry, bool dryRun)
    {
        ulong inode = (ulong)entry.GetInt64("inode");
        ulong cookie = (ulong)entry.GetInt64("cookie");
        var killed = new HashSet<int>();
        for (int round = 0; round < 20; round++)
        {
            var inside = ProcessesIn(inode);
            if (inside.Count == 0)
            {
                break;
            }
            // The inode alone could have been reused by a newer namespace once ours was freed; the
            // cookie is never reused, so it proves the namespace is still the one we recorded.
            if (cookie != 0 && CookieOf(inside[0]) is { } actual && actual != cookie)
            {
                return $"{entry}: inode now belongs to another namespace (cookie {actual}); left alone";
            }
            if (dryRun)
            {
                return $"{entry}: would kill {inside.Count} process(es): {string.Join(", ", inside)}";
            }
            foreach (var pid in inside)
            {
                _ = LibC.kill(pid, LibC.SIGKILL);
                killed.Add(pid);
            }
            Thread.Sleep(20);
        }
        return killed.Count == 0 ? $"{entry}: no process inside" : $"{entry}: killed {string.Join(", ", killed)}";
    }

    // The kernel removes a root link with its host namespace; this covers a namespace kept alive.
    // Ours only if it carries the alias we tagged it with (read from sysfs, the root namespace's view).
    private static string ReleaseRootLink(JournalEntry entry, bool dryRun)
    {
        var name = entry.Get("name");
        if (name is null || Netlink.InterfaceName.Problem(name) is not null)
        {
            return $"{entry}: no valid interface name; left alone";
        }
        string alias;
        try
        {
            alias = File.ReadAllText($"/sys/class/net/{name}/ifalias").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{entry}: already gone";
        }
        if (alias != entry.Get("alias"))
        {
            return $"{entry}: {name} carries alias '{alias}', not ours; left alone";
        }
        if (!dryRun)
        {
            try
            {
                RootNamespace.Value.Netlink.DeleteLink(name);
            }
            catch (NetworkOperationException ex)
            {
                return $"{entry}: deleting {name} failed: {ex.Message}";
            }
        }
        return $"{entry}: {(dryRun ? "would delete" : "deleted")} root link {name}";
    }

    private static string ReleaseMount(JournalEntry entry, bool dryRun)
    {
        var path = entry.Get("path");
        if (path is null || !path.StartsWith(NetworkNamespace.NamedNamespaceDirectory + "/", StringComparison.Ordinal))
        {
            return $"{entry}: not under {NetworkNamespace.NamedNamespaceDirectory}; left alone";
        }
        var identity = PathIdentity(path);
        if (identity is null)
        {
            return $"{entry}: already gone";
        }
        // The run created this path itself (O_EXCL, after journaling it) and never released it, so the
        // path is ours. Once it recorded the namespace it mounted there, that inode must match too; a run
        // killed between mounting and recording it left a mount we still own.
        var recorded = entry.Get("inode");
        if (recorded is not null && identity.Value.Inode.ToString(CultureInfo.InvariantCulture) != recorded && IsNsfs(path))
        {
            return $"{entry}: {path} is not the namespace we mounted; left alone";
        }
        if (!dryRun)
        {
            fixed (byte* target = ToCString(path))
            {
                _ = LibC.umount2(target, LibC.MNT_DETACH);
                _ = LibC.unlink(target);
            }
        }
        return $"{entry}: {(dryRun ? "would unmount and remove" : "unmounted and removed")} {path}";
    }

    // A run killed after journaling a /run/netns name but before creating it never owned that name: if
    // another run's journal holds it now, it is that run's.
    private static string? ClaimedByAnotherRun(JournalEntry entry, string journal)
    {
        if (entry.Kind != "mount" || entry.Get("path") is not { } path)
        {
            return null;
        }
        foreach (var other in System.IO.Directory.EnumerateFiles(RunJournal.Directory, "run-*.journal"))
        {
            if (other == journal)
            {
                continue;
            }
            int fd = Open(other, LibC.O_RDONLY);
            if (fd < 0)
            {
                continue;
            }
            try
            {
                var (_, entries) = JournalEntry.Parse(RunJournal.ReadLines(fd));
                if (entries.Any(e => e.Kind == "mount" && !e.Released && e.Get("path") == path))
                {
                    return other;
                }
            }
            finally
            {
                _ = LibC.close(fd);
            }
        }
        return null;
    }

    private static bool IsNsfs(string path) =>
        File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ') is { Length: > 4 } f && f[4] == path);

    internal static List<int> ProcessesIn(ulong inode)
    {
        var pids = new List<int>();
        var needle = string.Create(CultureInfo.InvariantCulture, $"net:[{inode}]");
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != Environment.ProcessId)
            {
                try
                {
                    if (new FileInfo(System.IO.Path.Combine(dir, "ns/net")).LinkTarget == needle)
                    {
                        pids.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return pids;
    }

    private static ulong? NamespaceInodeOf(int pid)
    {
        try
        {
            var link = new FileInfo(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/ns/net")).LinkTarget;
            return link is null ? null : ulong.Parse(link.AsSpan(5, link.Length - 6), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static ulong? CookieOf(int pid)
    {
        try
        {
            using var ns = NetworkNamespace.OpenProcess(pid);
            return ns.Cookie;
        }
        catch (Exception ex) when (ex is NetworkOperationException or ArgumentException)
        {
            return null;
        }
    }
}
