using System.Diagnostics;
using System.Globalization;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Cli.Tests;

// `isolated-net exec`: parsing and exit-code rules in process; the user namespace itself by running the
// tool as an unprivileged user (uid 65534 through setpriv), from a copy of its build output that user can read.
public sealed class ExecTests
{
    private const string NobodyCannotBeEntered =
        "setpriv cannot become uid 65534 inside isolated-net exec's user namespace, which maps only the caller";

    [Fact]
    public void Exec_options_end_at_the_command_or_at_double_dash()
    {
        var options = Program.ParseExec(["--net", "--verbose", "dotnet", "test", "-c", "Release"], out var problem);
        Assert.Null(problem);
        Assert.NotNull(options);
        Assert.True(options.NewNetwork);
        Assert.True(options.Verbose);
        Assert.Equal(["dotnet", "test", "-c", "Release"], options.Command);

        options = Program.ParseExec(["--", "--net"], out problem);
        Assert.Equal(["--net"], options!.Command);
        Assert.False(options.NewNetwork);

        Assert.Null(Program.ParseExec([], out problem));
        Assert.Equal("no command given", problem);
        Assert.Null(Program.ParseExec(["--bogus", "x"], out problem));
        Assert.Contains("unknown option '--bogus'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Maps_exit_statuses_and_command_lookup_follow_the_shell()
    {
        Assert.Equal("0 1000 1\n", UserNamespaceLauncher.RootMap(1000));
        Assert.Equal(7, UserNamespaceLauncher.ExitCodeOf(7 << 8));
        Assert.Equal(143, UserNamespaceLauncher.ExitCodeOf(15)); // killed by SIGTERM
        Assert.Equal(137, UserNamespaceLauncher.ExitCodeOf(9));
        Assert.Equal("/bin/sh", UserNamespaceLauncher.ResolveExecutable("/bin/sh", null));
        Assert.EndsWith("/sh", UserNamespaceLauncher.ResolveExecutable("sh", "/nonexistent:/usr/bin:/bin"), StringComparison.Ordinal);
        Assert.Null(UserNamespaceLauncher.ResolveExecutable("no-such-program-here", "/usr/bin:/bin"));
    }

    [Fact]
    public void Exec_without_a_command_prints_usage_and_exits_2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, Program.Run(["exec"], output, error));
        Assert.Contains("no command given", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, Program.Run(["exec", "--help"], output, error));
        Assert.Contains("isolated-net exec [--net]", output.ToString(), StringComparison.Ordinal);
    }

    [PrivilegedFact(Tools = "setpriv", NotRootless = NobodyCannotBeEntered)]
    public void An_unprivileged_user_becomes_root_with_CAP_NET_ADMIN_in_a_new_user_namespace_and_the_exit_code_comes_back()
    {
        using var tool = ToolCopy.Make();
        var (exitCode, output) = tool.RunAsNobody("exec", "--", "sh", "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; grep CapEff /proc/self/status; readlink /proc/self/ns/user /proc/self/ns/net; id -u; exit 7");

        Assert.True(exitCode == 7, $"exit code {exitCode}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("0 65534 1", Squeeze(lines[0]));
        Assert.Equal("0 65534 1", Squeeze(lines[1]));
        var capEff = ulong.Parse(lines[2]["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.True((capEff & (1UL << 12)) != 0, $"CAP_NET_ADMIN missing: {lines[2]}");
        Assert.True((capEff & (1UL << 21)) != 0, $"CAP_SYS_ADMIN missing: {lines[2]}");
        Assert.NotEqual(new FileInfo("/proc/self/ns/user").LinkTarget, lines[3]);
        Assert.Equal(new FileInfo("/proc/self/ns/net").LinkTarget, lines[4]); // default: the caller's network
        Assert.Equal("0", lines[5]);
    }

    [PrivilegedFact(Tools = "setpriv", NotRootless = NobodyCannotBeEntered)]
    public void With_net_the_command_gets_its_own_network_namespace_with_loopback_up()
    {
        using var tool = ToolCopy.Make();
        var (exitCode, output) = tool.RunAsNobody("exec", "--net", "--", "sh", "-c", "readlink /proc/self/ns/net; ip -o link show lo");

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{output}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, lines[0]);
        Assert.Contains("<LOOPBACK,UP,LOWER_UP>", lines[1], StringComparison.Ordinal);
    }

    [PrivilegedFact(Tools = "setpriv", NotRootless = NobodyCannotBeEntered)]
    public void A_command_that_cannot_run_is_reported_with_the_shells_exit_codes()
    {
        using var tool = ToolCopy.Make();
        var (missing, missingOutput) = tool.RunAsNobody("exec", "--", "/nonexistent/program");
        Assert.True(missing == 127, $"exit code {missing}:\n{missingOutput}");
        Assert.Contains("exec failed: ENOENT (No such file or directory): /nonexistent/program", missingOutput, StringComparison.Ordinal);

        var (notExecutable, notExecutableOutput) = tool.RunAsNobody("exec", "--", tool.DataFile);
        Assert.True(notExecutable == 126, $"exit code {notExecutable}:\n{notExecutableOutput}");
        Assert.Contains("exec failed: EACCES", notExecutableOutput, StringComparison.Ordinal);

        var (notFound, notFoundOutput) = tool.RunAsNobody("exec", "--", "no-such-program-here");
        Assert.True(notFound == 127, $"exit code {notFound}:\n{notFoundOutput}");
        Assert.Contains("no-such-program-here: command not found", notFoundOutput, StringComparison.Ordinal);
    }

    [PrivilegedFact(Tools = "setpriv unshare", NotRootless = NobodyCannotBeEntered)]
    public void A_test_host_started_in_a_fresh_network_namespace_with_loopback_down_builds_a_topology_rootless()
    {
        // exec (user namespace, loopback of the machine's network), then `unshare -n`: a network namespace of
        // its own whose loopback is down, as under `unshare -rn`. The victim builds a switched topology and
        // starts processes in its hosts; warm-up must not need the caller's network.
        using var tool = ToolCopy.Make();
        var start = tool.NobodyStart("exec", "--", "unshare", "-n", "--", "sh", "-c",
            "ip -o link show lo; exec env VICTIM_ANONYMOUS=1 dotnet exec " + tool.Victim);
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        var ready = Task.Run(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
                if (line == "READY")
                {
                    return true;
                }
            }
            return false;
        });
        var stderr = process.StandardError.ReadToEndAsync();
        bool started = ready.Wait(TimeSpan.FromSeconds(60)) && ready.Result;
        process.Kill(); // the tool only: its child dies with it (PR_SET_PDEATHSIG), the victim's reaper cleans up
        process.WaitForExit(30_000);
        string[] seen;
        lock (lines)
        {
            seen = [.. lines];
        }
        Assert.True(started, $"the victim did not get READY:\n{string.Join('\n', seen)}\n{(stderr.Wait(5000) ? stderr.Result : "")}");
        Assert.DoesNotContain(",UP", seen[0], StringComparison.Ordinal); // loopback was down where it started
        Assert.Contains(seen, l => l.StartsWith("NETNS ", StringComparison.Ordinal));

        // The processes it started inside its hosts go with it.
        var pids = seen.Where(l => l.StartsWith("PID ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(pids);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (pids.Any(p => Directory.Exists($"/proc/{p}")) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }
        Assert.DoesNotContain(pids, p => Directory.Exists($"/proc/{p}"));
    }

    private static string Squeeze(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    // The tool's and the victim's build output copied where uid 65534 can read them (the checkout may be
    // under a directory it cannot enter), removed afterwards.
    private sealed class ToolCopy : IDisposable
    {
        private readonly string _root;

        private ToolCopy(string root, string tool, string victim)
        {
            _root = root;
            Tool = tool;
            Victim = victim;
        }

        public string Tool { get; }

        public string Victim { get; }

        public string DataFile => Path.Combine(_root, "data.txt"); // mode 0644: not executable

        public static ToolCopy Make()
        {
            var root = Path.Combine("/tmp", "isolated-net-exec-test-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(root);
            File.SetUnixFileMode(root, (UnixFileMode)0x1ED); // 0755
            File.WriteAllText(Path.Combine(root, "data.txt"), "not a program\n");
            File.SetUnixFileMode(Path.Combine(root, "data.txt"), (UnixFileMode)0x1A4);
            var tool = CopyDirectory(Path.GetDirectoryName(typeof(Program).Assembly.Location)!, Path.Combine(root, "tool"));
            var victimDirectory = Path.GetDirectoryName(Sibling("Isolated.Net.Reaping.Victim", "Isolated.Net.Reaping.Victim.dll"))!;
            var victim = CopyDirectory(victimDirectory, Path.Combine(root, "victim"));
            return new ToolCopy(root, Path.Combine(tool, "isolated-net.dll"), Path.Combine(victim, "Isolated.Net.Reaping.Victim.dll"));
        }

        public ProcessStartInfo NobodyStart(params string[] arguments)
        {
            var start = new ProcessStartInfo("setpriv")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = _root,
            };
            foreach (var argument in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--", "dotnet", Tool, .. arguments])
            {
                start.ArgumentList.Add(argument);
            }
            // A home of its own (dotnet writes first-run files there), and no TMPDIR: exec picks its own.
            start.Environment["HOME"] = _root;
            start.Environment["DOTNET_CLI_HOME"] = _root;
            start.Environment.Remove("TMPDIR");
            start.Environment.Remove(NetworkPrivileges.RequireVariable);
            return start;
        }

        public (int ExitCode, string Output) RunAsNobody(params string[] arguments)
        {
            using var process = Process.Start(NobodyStart(arguments))!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("isolated-net exec did not finish within 60 s");
            }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        private static string CopyDirectory(string source, string target)
        {
            Directory.CreateDirectory(target);
            foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
            {
                Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
            }
            foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
            }
            foreach (var entry in Directory.EnumerateFileSystemEntries(target, "*", SearchOption.AllDirectories).Append(target))
            {
                File.SetUnixFileMode(entry, Directory.Exists(entry) ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4); // 0755 / 0644
            }
            return target;
        }

        private static string Sibling(string project, string file)
        {
            // .../tests/Isolated.Net.Cli.Tests/bin/<Configuration>/net10.0/ → the sibling project's output.
            var here = AppContext.BaseDirectory.TrimEnd('/');
            var tfm = Path.GetFileName(here);
            var configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
            var root = Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", ".."));
            var path = Path.Combine(root, "tests", project, "bin", configuration, tfm, file);
            return File.Exists(path) ? path : throw new FileNotFoundException($"{project} was not built at {path}");
        }
    }
}
