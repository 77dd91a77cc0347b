using System.Net;
using Isolated.Net.Reaping;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Processes;

public sealed class HostProcessTests
{
    private static TopologyBuilder TwoHosts() => new TopologyBuilder()
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")
        .AddHost("client").Connect("client", "lan");

    [PrivilegedFact(Tools = "python3 curl")]
    public async Task A_real_server_in_one_host_is_reached_by_a_real_client_by_host_name()
    {
        await using var net = TwoHosts().Build();
        await using var server = net["server"].StartProcess("python3", "-m", "http.server", "8080", "--bind", "0.0.0.0");
        await server.WaitForTcpPortAsync(8080, TimeSpan.FromSeconds(20));

        var result = await net["client"].ExecAsync("curl", "-sS", "--max-time", "10", "http://server:8080/");

        Assert.True(result.ExitCode == 0, $"curl failed ({result.ExitCode}): {result.StandardError}");
        Assert.Contains("Directory listing", result.StandardOutput, StringComparison.Ordinal);
        // The server saw the client's address, from inside the topology.
        await server.WaitForOutputAsync(net.AddressOf("client").ToString(), TimeSpan.FromSeconds(30));
    }

    [PrivilegedFact(Tools = "socat sh")]
    public async Task Socat_client_reaches_socat_server_by_name_over_ipv6()
    {
        await using var net = TwoHosts().Build();
        await using var server = net["server"].StartProcess("socat", "TCP6-LISTEN:7000,fork,reuseaddr", "EXEC:cat");
        await server.WaitForTcpPortAsync(7000, TimeSpan.FromSeconds(10));
        var options = new HostProcessOptions("sh");
        options.Arguments.Add("-c");
        options.Arguments.Add("echo hello-over-v6 | socat -t 2 - TCP6:server:7000");
        var result = await net["client"].ExecAsync(options);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello-over-v6\n", result.StandardOutput);
    }

    [PrivilegedFact]
    public async Task A_child_lives_in_the_host_namespace_with_its_name_and_a_private_hosts_file()
    {
        await using var net = TwoHosts().Build();
        var client = net["client"];
        await using var sleeper = client.StartProcess("sleep", "30");

        Assert.Equal(client.Namespace.Inode, Oracle.InodeOf($"/proc/{sleeper.Id}/ns/net"));
        Assert.Equal("client\n", (await client.ExecAsync("hostname")).StandardOutput);
        var hosts = (await client.ExecAsync("cat", "/etc/hosts")).StandardOutput;
        Assert.Contains($"{net.AddressOf("server")}\tserver", hosts, StringComparison.Ordinal);
        Assert.Contains($"{net.AddressOf("server", System.Net.Sockets.AddressFamily.InterNetworkV6)}\tserver", hosts, StringComparison.Ordinal);
        // The machine's own /etc/hosts and hostname are untouched.
        Assert.DoesNotContain("\tserver", await File.ReadAllTextAsync("/etc/hosts"), StringComparison.Ordinal);
        Assert.NotEqual("client", Environment.MachineName);
        Assert.DoesNotContain("/etc/hosts", await File.ReadAllTextAsync("/proc/self/mountinfo"), StringComparison.Ordinal);
    }

    [PrivilegedFact(Tools = "sh")]
    public async Task ExecAsync_returns_exit_code_and_both_outputs()
    {
        await using var net = TwoHosts().Build();
        var result = await net["server"].ExecAsync("sh", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.StandardOutput);
        Assert.Equal("err\n", result.StandardError);
    }

    [PrivilegedFact(Tools = "sh")]
    public async Task Stop_sends_SIGTERM_and_a_child_ignoring_it_is_killed_after_the_grace_period()
    {
        await using var net = TwoHosts().Build();
        var host = net["server"];

        await using var polite = host.StartProcess("sleep", "100");
        await polite.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(128 + 15, polite.ExitCode); // SIGTERM

        var options = new HostProcessOptions("sh") { StopGracePeriod = TimeSpan.FromSeconds(1) };
        options.Arguments.Add("-c");
        options.Arguments.Add("trap '' TERM; echo armed; while :; do sleep 0.05; done");
        await using var stubborn = host.StartProcess(options);
        await stubborn.WaitForOutputAsync("armed", TimeSpan.FromSeconds(10));
        var stop = stubborn.StopAsync();
        await Task.Delay(300);
        Assert.False(stubborn.HasExited, "a child ignoring SIGTERM must survive until the grace period ends");
        await stop;
        Assert.Equal(128 + 9, stubborn.ExitCode); // SIGKILL
    }

    [PrivilegedFact(Tools = "sh")]
    public async Task Disposing_the_topology_leaves_no_process_behind()
    {
        var net = TwoHosts().Build();
        var inode = net["server"].Namespace.Inode;
        var a = net["server"].StartProcess("sleep", "100");
        var b = net["server"].StartProcess("sh", "-c", "sleep 100 & sleep 100");
        var pids = new[] { a.Id, b.Id };

        await net.DisposeAsync();

        Assert.Empty(Reaper.ProcessesIn(inode));
        Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"pid {pid} survived"));
        Assert.Throws<ObjectDisposedException>(() => net["server"].StartProcess("true"));
    }

    [PrivilegedFact(Tools = "sh")]
    public async Task Readiness_errors_show_the_last_output()
    {
        await using var net = TwoHosts().Build();
        var host = net["server"];

        await using var quiet = host.StartProcess("sh", "-c", "echo starting up; sleep 30");
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => quiet.WaitForTcpPortAsync(9, TimeSpan.FromMilliseconds(400)));
        Assert.Contains("did not listen on TCP port 9", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("out: starting up", timeout.Message, StringComparison.Ordinal);

        await using var dying = host.StartProcess("sh", "-c", "echo cannot bind >&2; exit 4");
        var exited = await Assert.ThrowsAsync<HostProcessExitedException>(() => dying.WaitForTcpPortAsync(9, TimeSpan.FromSeconds(20)));
        Assert.Equal(4, exited.ExitCode);
        Assert.Contains("exited with code 4 before listening on TCP port 9", exited.Message, StringComparison.Ordinal);
        Assert.Contains("err: cannot bind", exited.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public async Task Missing_executables_fail_clearly_before_anything_starts()
    {
        await using var net = TwoHosts().Build();
        var missing = Assert.Throws<FileNotFoundException>(() => net["server"].StartProcess("no-such-program-xyz"));
        Assert.Contains("'no-such-program-xyz' was not found on PATH", missing.Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => net["server"].StartProcess("/nonexistent/bin/tool"));
    }

    [PrivilegedFact]
    public async Task ResolveAsync_answers_topology_names_in_process()
    {
        await using var net = TwoHosts().Build();
        var addresses = await net["client"].ResolveAsync("server");
        Assert.Equal([net.AddressOf("server"), net.AddressOf("server", System.Net.Sockets.AddressFamily.InterNetworkV6)], addresses);
        Assert.Equal([IPAddress.Parse("10.9.9.9")], await net["client"].ResolveAsync("10.9.9.9"));
    }

    [PrivilegedFact(Tools = "sh")]
    public async Task Output_lines_reach_the_callback()
    {
        await using var net = TwoHosts().Build();
        var seen = new List<ProcessOutputLine>();
        var options = new HostProcessOptions("sh") { OnOutput = line => { lock (seen) { seen.Add(line); } } };
        options.Arguments.Add("-c");
        options.Arguments.Add("echo one; echo two >&2");
        var result = await net["server"].ExecAsync(options);
        Assert.Equal(0, result.ExitCode);
        lock (seen)
        {
            Assert.Contains(new ProcessOutputLine(false, "one"), seen);
            Assert.Contains(new ProcessOutputLine(true, "two"), seen);
        }
    }
}
