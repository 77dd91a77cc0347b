using System.Diagnostics;
using System.Globalization;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Reaping.Tests;

// A test host dies hard (SIGKILL, blame-hang tree kills, kill -9 -PGID): within 2 s nothing it made may
// remain — named namespaces, processes in its namespaces, its journal, its reaper.
public sealed class CrashTests
{
    // The reaper cleans up within milliseconds; the bound is only how long a failing run waits, with room for a
    // saturated machine (the reaper is an ordinary process that may JIT its cleanup path on first use).
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    [PrivilegedTheory]
    [InlineData("named")]
    [InlineData("topology")]
    [InlineData("process")]
    [InlineData("processes")]
    public async Task Killed_at_each_setup_step_leaves_nothing(string step)
    {
        using var victim = Victim.Start(parkAt: step);
        await victim.WaitForLineAsync("PARKED " + step, TimeSpan.FromSeconds(60));
        victim.Kill();
        Assert.Empty(await Machine.LeftoversAfterAsync(victim, Within));
    }

    [PrivilegedFact]
    public async Task Killed_at_40_random_moments_leaves_nothing()
    {
        var random = new Random(20261130);
        var failures = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            int delay = random.Next(0, 1500);
            using var victim = Victim.Start();
            await victim.WaitForLineAsync("STEP start", TimeSpan.FromSeconds(60));
            await Task.Delay(delay);
            victim.Kill();
            var left = await Machine.LeftoversAfterAsync(victim, Within);
            if (left.Count > 0)
            {
                failures.Add($"kill {i} after {delay} ms (last: {(victim.Lines.Count > 0 ? victim.Lines[^1] : "-")}): {string.Join(", ", left)}");
            }
        }
        Assert.Empty(failures);
    }

    [PrivilegedFact]
    public async Task A_blame_hang_style_tree_kill_deepest_first_leaves_nothing()
    {
        using var victim = Victim.Start();
        await victim.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        // What `dotnet test --blame-hang` does: find the tree by parent pid, kill the deepest first.
        foreach (var pid in TreeDeepestFirst(victim.Pid))
        {
            Oracle.Exec("kill", "-9", pid.ToString(CultureInfo.InvariantCulture));
        }
        Assert.Empty(await Machine.LeftoversAfterAsync(victim, Within));
    }

    [PrivilegedFact]
    public async Task Killing_the_whole_process_group_leaves_nothing()
    {
        using var victim = Victim.Start(newSession: true);
        await victim.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        victim.KillGroup(); // kill -9 -PGID: the victim and the children it started, not the reaper
        Assert.Empty(await Machine.LeftoversAfterAsync(victim, Within));
    }

    [PrivilegedFact]
    public async Task Host_and_reaper_both_killed_are_cleaned_by_isolated_net_reap()
    {
        // A private state directory: any other run starting meanwhile (test processes run in parallel)
        // sweeps /run/isolated-net and would release this dead run before the CLI is asked to.
        var state = Directory.CreateTempSubdirectory("isolated-net-state-");
        try
        {
            await HostAndReaperKilledAsync(state.FullName);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static async Task HostAndReaperKilledAsync(string state)
    {
        using var victim = Victim.Start(stateDirectory: state);
        await victim.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        var reaper = Assert.Single(Machine.Reapers(victim.Pid));
        Oracle.Exec("kill", "-9", reaper.ToString(CultureInfo.InvariantCulture));
        victim.Kill();
        await Task.Delay(500);
        Assert.NotEmpty(Machine.Leftovers(victim)); // nobody left to clean up

        var cli = Victim.Sibling("Isolated.Net.Cli", "isolated-net.dll");
        var list = Cli(state, cli, "list");
        Assert.Contains($"DEAD run: pid {victim.Pid}", list.Stdout, StringComparison.Ordinal);
        var dry = Cli(state, cli, "reap", "--dry-run");
        Assert.Contains("would unmount and remove /run/netns/" + victim.Prefix, dry.Stdout, StringComparison.Ordinal);
        Assert.NotEmpty(Machine.Leftovers(victim)); // a dry run changes nothing

        var reap = Cli(state, cli, "reap");
        Assert.Equal(0, reap.ExitCode);
        Assert.Contains("unmounted and removed /run/netns/" + victim.Prefix, reap.Stdout, StringComparison.Ordinal);
        Assert.Empty(await Machine.LeftoversAfterAsync(victim, Within));
    }

    [PrivilegedFact]
    public async Task Two_runs_in_parallel_one_killed_leaves_the_other_untouched()
    {
        using var doomed = Victim.Start();
        using var survivor = Victim.Start();
        await doomed.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        await survivor.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));

        doomed.Kill();
        Assert.Empty(await Machine.LeftoversAfterAsync(doomed, Within));

        Assert.True(File.Exists("/run/netns/" + survivor.Prefix));
        Assert.All(survivor.ChildPids, pid => Assert.True(Machine.IsAlive(pid), $"survivor's process {pid} was killed"));
        Assert.Single(Machine.Reapers(survivor.Pid));

        survivor.Kill();
        Assert.Empty(await Machine.LeftoversAfterAsync(survivor, Within));
    }

    [PrivilegedFact]
    public void A_foreign_named_namespace_is_reported_never_deleted()
    {
        var name = "isonet-foreign-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(0, Machine.AddForeignNamespace(name));
        try
        {
            var cli = Victim.Sibling("Isolated.Net.Cli", "isolated-net.dll");
            var reap = Oracle.Exec("dotnet", cli, "reap");
            Assert.Contains($"unowned: /run/netns/{name} (no journal records it; not touched)", reap.Stdout, StringComparison.Ordinal);
            Assert.Contains($"unowned: /run/netns/{name}", Oracle.Exec("dotnet", cli, "list").Stdout, StringComparison.Ordinal);
            Assert.True(File.Exists("/run/netns/" + name));
            Assert.Contains(name, Oracle.Exec("ip", "netns", "list").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Oracle.Exec("ip", "netns", "del", name);
        }
    }

    [PrivilegedFact]
    public async Task A_real_dotnet_test_blame_hang_kill_leaves_nothing()
    {
        var dll = Victim.Sibling("Isolated.Net.Reaping.HangScenario", "Isolated.Net.Reaping.HangScenario.dll");
        var work = Directory.CreateTempSubdirectory("isonet-hang-");
        var report = Path.Combine(work.FullName, "made.txt");
        var prefix = "isonet-hang-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "test", dll, "--blame-hang-timeout", "15s", "--results-directory", work.FullName })
            {
                start.ArgumentList.Add(arg);
            }
            start.Environment["HANG_SCENARIO_REPORT"] = report;
            start.Environment["HANG_SCENARIO_PREFIX"] = prefix;
            using var run = Process.Start(start)!;
            var output = run.StandardOutput.ReadToEndAsync();
            _ = run.StandardError.ReadToEndAsync();
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(3)), "dotnet test did not end");
            Assert.Contains("hang", (await output).ToLowerInvariant(), StringComparison.Ordinal);

            var made = await File.ReadAllLinesAsync(report);
            Assert.Contains("READY", made);
            int testHost = int.Parse(made.Single(l => l.StartsWith("PID ", StringComparison.Ordinal))[4..], CultureInfo.InvariantCulture);
            int child = int.Parse(made.Single(l => l.StartsWith("CHILD ", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture);
            var inodes = made.Where(l => l.StartsWith("NETNS ", StringComparison.Ordinal) || l.StartsWith("NAMED ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();

            var deadline = DateTime.UtcNow + Within;
            List<string> left;
            do
            {
                left = [];
                if (File.Exists("/run/netns/" + prefix))
                {
                    left.Add("/run/netns/" + prefix);
                }
                if (Machine.IsAlive(child))
                {
                    left.Add($"child {child}");
                }
                left.AddRange(inodes.SelectMany(Machine.ProcessesIn).Select(p => $"process {p}"));
                left.AddRange(Directory.GetFiles("/run/isolated-net", $"run-{testHost}-*.journal"));
                if (left.Count > 0)
                {
                    await Task.Delay(20);
                }
            }
            while (left.Count > 0 && DateTime.UtcNow < deadline);
            Assert.Empty(left);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static List<int> TreeDeepestFirst(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    parents[pid] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }
        int Depth(int pid)
        {
            int depth = 0;
            while (pid != root && parents.TryGetValue(pid, out var parent) && parent > 1)
            {
                pid = parent;
                depth++;
            }
            return pid == root ? depth : -1;
        }
        return [.. parents.Keys.Select(p => (Pid: p, Depth: Depth(p))).Where(x => x.Depth >= 0).OrderByDescending(x => x.Depth).Select(x => x.Pid)];
    }

    // The isolated-net CLI, seeing the journals in STATE.
    private static (int ExitCode, string Stdout, string Stderr) Cli(string state, string cli, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["ISOLATED_NET_STATE_DIR"] = state;
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }
}
