using System.Globalization;
using Isolated.Net.Reaping;
using static Isolated.Net.Interop.Interop;
using Tmds.Linux;

namespace Isolated.Net;

/// <summary>A test run's journal: what it made that the kernel does not free by itself.</summary>
/// <param name="Path">The journal file in <see cref="RunJournals.Directory"/>.</param>
/// <param name="ProcessId">The run's process id.</param>
/// <param name="ProcessName">The run's process name.</param>
/// <param name="IsAlive">True while the run holds its journal's lock.</param>
/// <param name="Entries">Everything recorded, released or not.</param>
public sealed record RunRecord(string Path, int ProcessId, string ProcessName, bool IsAlive, IReadOnlyList<JournalEntry> Entries);

/// <summary>
/// Crash cleanup, for tools and CI: list the runs that hold resources, release what dead runs left, and
/// report /run/netns entries no journal owns (never deleting them). The <c>isolated-net</c> CLI is a
/// thin shell over this class.
/// </summary>
public static class RunJournals
{
    /// <summary>
    /// The directory journals live in: /run/isolated-net for the machine's root; for anyone else (including
    /// rootless runs under <c>isolated-net exec</c>) $XDG_RUNTIME_DIR/isolated-net, or /tmp/isolated-net-UID
    /// (mode 0700) without a runtime directory; or the absolute path in the environment variable
    /// ISOLATED_NET_STATE_DIR (which the test host, its reaper and the CLI must then all see).
    /// </summary>
    /// <exception cref="InvalidOperationException">ISOLATED_NET_STATE_DIR is set but not an absolute path.</exception>
    public static string Directory => RunJournal.Directory;

    /// <summary>Every journal, alive or dead, with its entries.</summary>
    public static unsafe IReadOnlyList<RunRecord> List()
    {
        var runs = new List<RunRecord>();
        if (!System.IO.Directory.Exists(Directory))
        {
            return runs;
        }
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "run-*.journal").Order(StringComparer.Ordinal))
        {
            int fd = Open(path, LibC.O_RDONLY);
            if (fd < 0)
            {
                continue;
            }
            try
            {
                // Holding the lock means alive; we could take it only if its owner is gone.
                bool alive = Flock(fd, LOCK_EX | LOCK_NB) != 0;
                var (header, entries) = JournalEntry.Parse(RunJournal.ReadLines(fd));
                int pid = int.TryParse(header.GetValueOrDefault("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0;
                runs.Add(new RunRecord(path, pid, header.GetValueOrDefault("process") ?? "?", alive, entries));
            }
            finally
            {
                _ = LibC.close(fd);
            }
        }
        return runs;
    }

    /// <summary>
    /// Releases every dead run's journal (checking each item's identity first) and returns one line
    /// per action. With <paramref name="dryRun"/>, only says what it would do.
    /// </summary>
    /// <param name="dryRun">Report without changing anything.</param>
    public static IReadOnlyList<string> ReapDeadRuns(bool dryRun = false) => Reaper.SweepDeadRuns(dryRun);

    /// <summary>
    /// Names under /run/netns that no journal owns: made by hand, by another tool, or by a run whose
    /// journal is gone. They are reported, never deleted.
    /// </summary>
    public static IReadOnlyList<string> FindUnowned()
    {
        if (!System.IO.Directory.Exists(NetworkNamespace.NamedNamespaceDirectory))
        {
            return [];
        }
        var owned = List().SelectMany(r => r.Entries)
            .Where(e => e.Kind == "mount" && !e.Released)
            .Select(e => e.Get("path"))
            .ToHashSet(StringComparer.Ordinal);
        return [.. System.IO.Directory.EnumerateFiles(NetworkNamespace.NamedNamespaceDirectory).Where(p => !owned.Contains(p)).Order(StringComparer.Ordinal)];
    }
}
