using System.Diagnostics;
using System.Reflection;
using Isolated.Net.Testing;
using Isolated.Net.Tests.Namespaces;
using Xunit;

namespace Isolated.Net.Tests.Samples;

// Runs samples/Isolated.Net.Samples.Cluster (the main demo) as its own process, exactly as
// `sudo dotnet run` would, and checks what it printed and what it left behind. In ProcessWideCounts so
// that no other test of this assembly names namespaces in /run/netns meanwhile.
[Collection(nameof(ProcessWideCounts))]
public sealed class ClusterSampleTests
{
    private const string RunMarker = "ISOLATED_NET_SAMPLE_RUN";
    private static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(60);

    [PrivilegedFact(NotRootless = ExternalTools.BpfFaultsNotRootless)]
    public async Task The_cluster_sample_shows_the_partition_and_the_heal_and_leaves_nothing_behind()
    {
        var namedBefore = NamedNamespaces();
        var marker = Guid.NewGuid().ToString("N");

        var (exitCode, output) = await RunSampleAsync(marker);

        Assert.True(exitCode == 0, $"the sample exited with {exitCode}:\n{output}");
        // The table: node3 answered, then timed out on both paths (the client's IPv4 on the switch, ops's
        // IPv6 through the router), then answered again; the other nodes answered throughout.
        Assert.Matches(@"client, IPv4\s+node3\s+reachable\s+timeout\s+reachable", output);
        Assert.Matches(@"ops via r, IPv6\s+node3\s+reachable\s+timeout\s+reachable", output);
        Assert.Matches(@"client, IPv4\s+node1\s+reachable\s+reachable\s+reachable", output);
        Assert.Matches(@"ops via r, IPv6\s+node2\s+reachable\s+reachable\s+reachable", output);
        Assert.Contains("client -> node3 (IPv4)   GET http://node3:8080/health  TIMEOUT", output, StringComparison.Ordinal);
        Assert.Contains("[PASS] the client's established connection to node3 stalls (timeout, not reset)", output, StringComparison.Ordinal);
        Assert.Contains("quorum write: 2/3 acknowledged, node3 missed it", output, StringComparison.Ordinal);
        Assert.Contains("leader on node1=node2, node2=node2, node3=node2", output, StringComparison.Ordinal);
        Assert.DoesNotContain("[FAIL]", output, StringComparison.Ordinal);
        Assert.Contains("All 8 checks passed", output, StringComparison.Ordinal);

        // Nothing left: no process it started (they inherit the marker, the reaper included) in a foreign
        // namespace, or alive at all after a bounded wait; and no new name in /run/netns. Other test
        // assemblies running beside this one name namespaces for a moment, so a new name fails only if
        // it outlives that wait.
        var rootNamespace = Oracle.InodeOf("/proc/self/ns/net");
        var stopWaiting = Stopwatch.StartNew();
        List<(int Pid, ulong Namespace)> left;
        while (((left = ProcessesMarked(marker)).Count > 0 || NewNames(namedBefore).Count > 0)
            && stopWaiting.Elapsed < TimeSpan.FromSeconds(10))
        {
            Assert.DoesNotContain(left, p => p.Namespace != rootNamespace);
            await Task.Delay(100);
        }
        Assert.True(left.Count == 0, $"processes started by the sample are still alive: {string.Join(", ", left.Select(p => p.Pid))}");
        Assert.Empty(NewNames(namedBefore));
    }

    [PrivilegedFact(Tools = "setpriv")]
    public async Task Without_privileges_the_cluster_sample_says_to_run_it_with_sudo_and_exits_2()
    {
        // Root without any capability: setpriv empties the bounding set, so the exec'd sample has none.
        var (exitCode, output) = await RunSampleAsync(Guid.NewGuid().ToString("N"), "setpriv", "--bounding-set=-all", "--inh-caps=-all", "--");

        Assert.True(exitCode == 2, $"the sample exited with {exitCode}:\n{output}");
        Assert.Contains("(missing CAP_NET_ADMIN + CAP_SYS_ADMIN)", output, StringComparison.Ordinal);
        Assert.Contains("Run it with sudo:  sudo dotnet run --project samples/Isolated.Net.Samples.Cluster", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
    }

    private static async Task<(int ExitCode, string Output)> RunSampleAsync(string marker, params string[] prefix)
    {
        var sample = typeof(ClusterSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ClusterSample").Value!;
        Assert.True(File.Exists(sample), $"the cluster sample was not built at {sample}");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string[] command = [.. prefix, dotnet, "exec", sample];
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = Path.GetDirectoryName(sample),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Answers get 10 s, not the demo's 1.5 s: this test runs beside others, maybe on a busy machine.
            Environment = { [RunMarker] = marker, ["CLUSTER_REQUEST_TIMEOUT_MS"] = "10000" },
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(SampleTimeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static HashSet<string> NamedNamespaces() =>
        Directory.Exists("/run/netns") ? [.. Directory.GetFileSystemEntries("/run/netns")] : [];

    private static HashSet<string> NewNames(HashSet<string> before) => [.. NamedNamespaces().Except(before)];

    // Processes whose environment carries RUN_MARKER=marker, with their network namespace.
    private static List<(int Pid, ulong Namespace)> ProcessesMarked(string marker)
    {
        var needle = $"{RunMarker}={marker}\0";
        var found = new List<(int, ulong)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                if (File.ReadAllText($"{directory}/environ").Contains(needle, StringComparison.Ordinal))
                {
                    found.Add((pid, Oracle.InodeOf($"{directory}/ns/net")));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return found;
    }
}
