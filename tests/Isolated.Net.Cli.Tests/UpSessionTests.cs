using System.Diagnostics;
using System.Text;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Cli.Tests;

// `isolated-net up / exec NAME HOST / fault / describe / down / reap` end to end, as separate processes the way a
// person runs them; the oracles are /run/netns, /proc and real HTTP exchanges between hosts (curl against
// python3's http.server, by host name through the session's hosts file). Rootless (the suite under
// `isolated-net exec`) they run too: every process here shares the launcher's user namespace and its private /run/netns.
public sealed class UpSessionTests
{
    private const string TwoHosts = """
        {
          "hosts": [ { "name": "client" }, { "name": "server" } ],
          "switches": [ { "name": "lan" } ],
          "connections": [ { "host": "client", "switch": "lan" }, { "host": "server", "switch": "lan" } ]
        }
        """;

    [Fact]
    public void Exec_with_a_session_and_host_is_told_from_the_rootless_form()
    {
        Assert.Null(Program.IsHostExec(["exec", "--", "dotnet", "test"]));
        Assert.Null(Program.IsHostExec(["exec", "--net", "sh", "--", "x"]));
        Assert.Null(Program.IsHostExec(["exec", "sh", "-c", "--"]));
        Assert.Null(Program.IsHostExec(["exec", "sh", "x", "--", "y"])); // sh is a program and no session 'sh' is up
        Assert.Equal("no-such-session-x", Program.IsHostExec(["exec", "no-such-session-x", "client", "--", "true"]));
    }

    [Fact]
    public void A_bad_file_gets_one_clear_line_then_its_problems_and_exit_2()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("bad.json", "{\n  \"hosts\": [ { \"name\": \"a\" } ],\n  \"links\": [ { \"first\": \"a\", \"second\": \"b\" } ]\n}\n");
        var (code, output, error) = Cli("up", file);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"isolated-net up: {file} is not a valid topology (1 problem):", lines[0]);
        Assert.Contains("line 3, $.links[0].second: host 'b' is not declared", lines[1], StringComparison.Ordinal);

        (code, _, error) = Cli("up", Path.Combine(dir.Path, "missing.json"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Commands_for_a_session_that_is_not_up_say_so()
    {
        foreach (var args in new[] { new[] { "down", "no-such-session" }, ["describe", "no-such-session"], ["fault", "no-such-session", "heal"], ["exec", "no-such-session", "h", "--", "true"] })
        {
            var (code, _, error) = Cli(args);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}: {error}");
            Assert.Equal($"isolated-net {args[0]}: no session 'no-such-session' is up (`isolated-net list` shows those that are)\n", error);
        }
    }

    [PrivilegedFact(Tools = "setpriv", NotRootless = "setpriv cannot become uid 65534 inside isolated-net exec's user namespace, which maps only the caller")]
    public void Up_unprivileged_says_so_in_one_line_and_creates_nothing()
    {
        // A copy uid 65534 can read (the checkout may be under a directory it cannot enter).
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0x1FF);
        var tool = Path.Combine(dir.Path, "tool");
        Directory.CreateDirectory(tool);
        foreach (var file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            File.Copy(file, Path.Combine(tool, Path.GetFileName(file)));
        }
        var lab = dir.Write("lab.json", TwoHosts);
        var name = "t" + Guid.NewGuid().ToString("N")[..8];
        var (code, output, error) = Run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
            "env", "HOME=" + dir.Path, "DOTNET_CLI_HOME=" + dir.Path, "dotnet", Path.Combine(tool, "isolated-net.dll"), "up", lab, "--name", name);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal("isolated-net up: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create the topology and name its namespaces in /run/netns; run it with sudo, or rootless inside one `isolated-net exec -- sh` whose commands all use it\n", error);
        AssertNothingLeft(name);
    }

    [PrivilegedFact(Tools = "curl python3")]
    public void Up_exec_isolate_heal_and_down_with_real_programs()
    {
        using var dir = new TempDirectory();
        var name = "t" + Guid.NewGuid().ToString("N")[..8];
        using var up = Up(dir.Write("lab.json", TwoHosts), name, out var table);
        Assert.Contains(table, l => l.StartsWith("server", StringComparison.Ordinal) && l.Contains("10.0.1.2/24", StringComparison.Ordinal));

        // Enterable by anyone: the kernel's view through ip netns exec, as the table says.
        Assert.True(File.Exists($"/run/netns/isolated-net-{name}-client"));
        Assert.Contains("\"10.0.1.2\"", Run("ip", "netns", "exec", $"isolated-net-{name}-server", "ip", "-j", "addr").Output, StringComparison.Ordinal);

        // A second up under the same name changes nothing.
        var (inUse, _, inUseError) = Cli("up", Path.Combine(dir.Path, "lab.json"), "--name", name);
        Assert.Equal(1, inUse);
        Assert.Contains($"session '{name}' is already up", inUseError, StringComparison.Ordinal);

        // exec: the host's hostname and hosts file, the exit code passed through.
        Assert.Equal((0, "client\n"), Exec(name, "client", "hostname"));
        Assert.Equal(7, Exec(name, "client", "sh", "-c", "exit 7").Code);
        var (unknown, _, unknownError) = Cli("exec", name, "nosuch", "--", "true");
        Assert.Equal(1, unknown);
        Assert.Equal($"isolated-net exec: session '{name}' has no host 'nosuch'; it has client, server\n", unknownError);

        using var server = Start(ToolArgs("exec", name, "server", "--", "python3", "-m", "http.server", "8080", "--bind", "0.0.0.0"));
        Assert.True(Eventually(() => Curl(name) == "200"), "the client never reached the server by name");

        Assert.Equal(0, Cli("fault", name, "isolate", "server").Code);
        Assert.NotEqual("200", Curl(name));
        Assert.Contains("cuts (nftables, a table per host): client -> server drop", Cli("describe", name).Output, StringComparison.Ordinal);
        var (badFault, _, badFaultError) = Cli("fault", name, "isolate", "nosuch");
        Assert.Equal(1, badFault);
        Assert.StartsWith("isolated-net fault: The topology has no host 'nosuch'", badFaultError, StringComparison.Ordinal);

        Assert.Equal(0, Cli("fault", name, "heal").Code);
        Assert.True(Eventually(() => Curl(name) == "200"), "heal did not restore the exchange");

        var saved = Path.Combine(dir.Path, "saved.json");
        Assert.Equal(0, Cli("save", name, saved).Code);
        TopologyBuilder.FromFile(saved).Validate();

        Assert.Equal(0, Cli("down", name).Code);
        Assert.True(up.WaitForExit(60_000));
        Assert.Equal(0, up.ExitCode);
        Assert.True(server.WaitForExit(60_000), "the server started with exec outlived down");
        AssertNothingLeft(name);
    }

    [PrivilegedFact]
    public void Kill_9_of_up_then_reap_leaves_nothing()
    {
        using var dir = new TempDirectory();
        var name = "t" + Guid.NewGuid().ToString("N")[..8];
        using var up = Up(dir.Write("lab.json", TwoHosts), name, out _);
        using var sleeper = Start(ToolArgs("exec", name, "server", "--", "sleep", "1000"));
        Assert.True(Eventually(() => Run("ip", "netns", "pids", $"isolated-net-{name}-server").Output.Trim().Length > 0), "sleep never started in the host");

        up.Kill(); // SIGKILL: no cleanup of its own
        Assert.True(up.WaitForExit(30_000));
        Assert.Contains($"dead up session: {name}", Cli("list").Output, StringComparison.Ordinal);
        // The run's reaper may already have released the namespaces; reap releases whatever is left, and the session's state.
        var (reaped, reapOutput, _) = Cli("reap");
        Assert.Equal(0, reaped);
        Assert.Contains($"removed the state of dead up session '{name}'", reapOutput, StringComparison.Ordinal);
        Assert.True(Eventually(() => !File.Exists($"/run/netns/isolated-net-{name}-server")), "reap left the named namespace");
        Assert.True(sleeper.WaitForExit(30_000), "the program exec started in the host outlived the reap");
        Assert.DoesNotContain(name, Cli("list").Output, StringComparison.Ordinal);
        AssertNothingLeft(name);
    }

    private static void AssertNothingLeft(string name)
    {
        var left = Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", $"isolated-net-{name}-*") : [];
        Assert.Empty(left);
        Assert.DoesNotContain($"/run/netns/isolated-net-{name}-", File.ReadAllText("/proc/self/mountinfo"), StringComparison.Ordinal);
    }

    private static string Curl(string name) =>
        Exec(name, "client", "curl", "-s", "-m", "3", "-o", "/dev/null", "-w", "%{http_code}", "http://server:8080/").Output.Trim();

    private static (int Code, string Output) Exec(string name, string host, params string[] command)
    {
        var (code, output, _) = Cli(["exec", name, host, "--", .. command]);
        return (code, output);
    }

    // Starts up in the background and waits (bounded) for its ready line; the table comes before it.
    private static Process Up(string file, string name, out List<string> table)
    {
        var process = Start(ToolArgs("up", file, "--name", name));
        var lines = new List<string>();
        var ready = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line.Contains($"session '{name}' is up", StringComparison.Ordinal))
                {
                    return true;
                }
                lines.Add(line);
            }
            return false;
        });
        if (!ready.Wait(TimeSpan.FromSeconds(90)) || !ready.Result)
        {
            process.Kill();
            throw new InvalidOperationException($"up did not get ready: {string.Join('\n', lines)}\n{process.StandardError.ReadToEnd()}");
        }
        _ = process.StandardOutput.ReadToEndAsync(); // keep draining
        table = lines;
        return process;
    }

    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            Thread.Sleep(200);
        }
        return false;
    }

    private static string[] ToolArgs(params string[] args) => ["dotnet", Path.Combine(AppContext.BaseDirectory, "isolated-net.dll"), .. args];

    private static (int Code, string Output, string Error) Cli(params string[] args) => Run(ToolArgs(args));

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var process = Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(string.Join(' ', args) + " did not finish in 120 s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo(args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in args.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "isolated-net-up-test-" + Guid.NewGuid().ToString("N")[..8]);

        public TempDirectory() => Directory.CreateDirectory(Path);

        public string Write(string name, string content)
        {
            var file = System.IO.Path.Combine(Path, name);
            File.WriteAllText(file, content);
            return file;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
