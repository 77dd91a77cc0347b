using System.Globalization;

namespace Isolated.Net.Reaping.Tests;

// The machine as an outsider sees it: /proc and /run, not our own bookkeeping.
internal static class Machine
{
    // Equivalent to: ip netns add NAME — a named namespace made by another tool. Rootless, `ip` would fail
    // switching back to this process's network namespace (setns: EPERM, the machine's namespace is not
    // ours), so it runs in a throwaway network namespace of the user namespace.
    public static int AddForeignNamespace(string name) => NetworkPrivileges.IsRootless
        ? Isolated.Net.Testing.Oracle.Exec("unshare", "--net", "--", "ip", "netns", "add", name).ExitCode
        : Isolated.Net.Testing.Oracle.Exec("ip", "netns", "add", name).ExitCode;

    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static List<int> ProcessesIn(string inode)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    if (new FileInfo(Path.Combine(dir, "ns/net")).LinkTarget == $"net:[{inode}]" && IsAlive(pid))
                    {
                        found.Add(pid);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return found;
    }

    public static IEnumerable<int> Reapers(int hostPid) => Directory.EnumerateDirectories("/proc")
        .Select(d => (Dir: d, Pid: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0))
        .Where(x => x.Pid > 0)
        .Where(x =>
        {
            try
            {
                var cmd = File.ReadAllText(Path.Combine(x.Dir, "cmdline")).Split('\0');
                return cmd.Contains("reaper-watch") && cmd.Contains(hostPid.ToString(CultureInfo.InvariantCulture)) && IsAlive(x.Pid);
            }
            catch (IOException)
            {
                return false;
            }
        })
        .Select(x => x.Pid)
        .ToList();

    // What a dead victim may leave: its named namespace, its processes, processes inside its
    // namespaces, its journal, its reaper. Empty means clean.
    public static List<string> Leftovers(Victim victim)
    {
        var left = new List<string>();
        if (File.Exists(Path.Combine("/run/netns", victim.Prefix)))
        {
            left.Add("/run/netns/" + victim.Prefix);
        }
        left.AddRange(victim.ChildPids.Where(IsAlive).Select(p => $"process {p}"));
        foreach (var inode in victim.NamespaceInodes)
        {
            left.AddRange(ProcessesIn(inode).Select(p => $"process {p} in net:[{inode}]"));
        }
        if (Directory.Exists(victim.StateDirectory))
        {
            left.AddRange(Directory.GetFiles(victim.StateDirectory, $"run-{victim.Pid}-*.journal"));
        }
        left.AddRange(Reapers(victim.Pid).Select(p => $"reaper {p}"));
        return left;
    }

    public static async Task<List<string>> LeftoversAfterAsync(Victim victim, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var left = Leftovers(victim);
            if (left.Count == 0 || DateTime.UtcNow > deadline)
            {
                return left;
            }
            await Task.Delay(20);
        }
    }
}
