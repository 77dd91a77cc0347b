using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Xunit.Tests;

// A real unprivileged run: the child `dotnet test` runs under capsh with CAP_NET_ADMIN and
// CAP_SYS_ADMIN dropped (when this process has them), and its TRX is read back.
public class PrivilegeDropTests
{
    private static readonly string[] NetTests = ["Fresh_namespace", "Fixture_host", "Theory_row(row: 1)", "Theory_row(row: 2)"];

    [ToolFact(Tools = "capsh")] // drops capabilities when this process has them
    public void Without_privileges_net_tests_are_skipped_with_the_reason()
    {
        var results = NestedRun.Run("FullyQualifiedName~.Privileges.", dropCapabilities: NetworkPrivileges.AreSufficient, requirePrivileges: false);

        Assert.Equal([.. NetTests.Append("Plain_fact").Order(StringComparer.Ordinal)], results.Keys.Order(StringComparer.Ordinal));
        foreach (var name in NetTests)
        {
            Assert.Equal("NotExecuted", results[name].Outcome);
            Assert.StartsWith(NetworkPrivileges.Requirement, results[name].Message, StringComparison.Ordinal);
        }
        // The plain fact ran, and no fixture was built for the skipped tests.
        Assert.Equal("Passed", results["Plain_fact"].Outcome);
    }

    [ToolFact(Tools = "capsh")] // drops capabilities when this process has them
    public void Without_privileges_but_required_net_tests_fail_with_the_reason()
    {
        var results = NestedRun.Run("FullyQualifiedName~.Privileges.", dropCapabilities: NetworkPrivileges.AreSufficient, requirePrivileges: true);

        foreach (var name in NetTests)
        {
            Assert.Equal("Failed", results[name].Outcome);
            Assert.Contains(NetworkPrivileges.Requirement, results[name].Message, StringComparison.Ordinal);
            Assert.Contains(NetworkPrivileges.RequireVariable + "=1", results[name].Message, StringComparison.Ordinal);
        }
        Assert.Equal("Passed", results["Plain_fact"].Outcome);
    }
}

// Deliberate failures in a child run, to see what the adapter reports: the failure, the network at the
// time of the failure in the test's output, stray threads, and fixture problems.
public class FailureReportTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, TrxRun.Result>> s_results =
        new(() => NestedRun.Run("FullyQualifiedName~.Failures.", dropCapabilities: false, requirePrivileges: true));

    private static TrxRun.Result Failed(string name)
    {
        var result = s_results.Value[name];
        Assert.True(result.Outcome == "Failed", $"{name}: expected Failed, got {result.Outcome}");
        return result;
    }

    [PrivilegedFact]
    public void Fresh_namespace_failure_carries_the_namespace_description_after_the_test_output()
    {
        var result = Failed("Fails_in_a_fresh_namespace");
        Assert.Contains("deliberate failure in a fresh namespace", result.Message, StringComparison.Ordinal);
        var inode = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"written from inside net:\[(\d+)\]").Groups[1].Value;
        Assert.NotEmpty(inode);
        Assert.Contains($"fresh namespace of this test: netns (anonymous) net:[{inode}]", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("lo UP mtu 65536 127.0.0.1/8 ::1/128", result.StdOut, StringComparison.Ordinal);
        Assert.True(result.StdOut.IndexOf("written from inside", StringComparison.Ordinal) < result.StdOut.IndexOf("Isolated.Net: the network", StringComparison.Ordinal));
    }

    [PrivilegedFact]
    public void Host_failure_carries_the_topology_description()
    {
        var result = Failed("Fails_in_a_host");
        Assert.Contains("the body ran in host 'client' of the topology of ClientServerFixture", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("switch lan: 10.0.1.0/24", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("10.0.1.2/24", result.StdOut, StringComparison.Ordinal);
        DeleteReproductionFiles(result.StdOut);
    }

    // The topology files deliberate failures in a host leave, named on their `reproduce:` lines.
    private static void DeleteReproductionFiles(string output)
    {
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(output, @"reproduce: isolated-net up (\S+\.topology\.json)"))
        {
            File.Delete(match.Groups[1].Value);
        }
    }

    [PrivilegedFact]
    public void Capture_failure_shows_the_host_dump_and_keeps_the_pcap_file()
    {
        var result = Failed("Fails_with_a_capture");
        Assert.Contains("deliberate failure with a capture", result.Message, StringComparison.Ordinal);
        Assert.Contains("  tcp LISTEN     0.0.0.0:7002 *", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("  tcp ESTAB      10.0.1.2:", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("  neigh 10.0.1.1 dev eth0 lladdr ", result.StdOut, StringComparison.Ordinal);
        var match = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"packet capture of client \(all interfaces\): (\S+\.pcap) \((\d+) packets\)");
        Assert.True(match.Success, "no capture line in:\n" + result.StdOut);
        var path = match.Groups[1].Value;
        try
        {
            Assert.True(int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 3, "the handshake is at least three packets");
            var header = File.ReadAllBytes(path).AsSpan(0, 24);
            Assert.Equal(0xa1b2c3d4u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header));
            Assert.Equal(1u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(header[20..]));
        }
        finally
        {
            File.Delete(path);
            DeleteReproductionFiles(result.StdOut);
        }
    }

    [PrivilegedFact]
    public void Failure_in_a_topology_saves_it_with_its_cuts_next_to_the_pcap_and_says_how_to_reproduce()
    {
        var result = Failed("Fails_while_cut_off");
        var match = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"reproduce: isolated-net up (\S+\.topology\.json)");
        Assert.True(match.Success, "no reproduce line in:\n" + result.StdOut);
        var path = match.Groups[1].Value;
        var pcap = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"packet capture of client \(all interfaces\): (\S+\.pcap)").Groups[1].Value;
        try
        {
            Assert.Equal(Path.GetDirectoryName(pcap), Path.GetDirectoryName(path));
            Assert.StartsWith("PartitionedFailures.Fails_while_cut_off-", Path.GetFileName(path), StringComparison.Ordinal);
            var saved = File.ReadAllText(path);
            Assert.Contains("\"from\": \"client\"", saved, StringComparison.Ordinal);
            TopologyBuilder.FromFile(path).Validate();
        }
        finally
        {
            File.Delete(path);
            File.Delete(pcap);
        }
    }

    [PrivilegedFact]
    public void ValueTask_body_failing_after_an_await_fails_the_test() =>
        Assert.Contains("deliberate failure after an await", Failed("ValueTask_fails_after_an_await").Message, StringComparison.Ordinal);

    [PrivilegedFact]
    public void Stray_thread_fails_the_test_naming_the_thread() =>
        Assert.Contains("'stray-scenario'", Failed("Leaves_a_thread_inside").Message, StringComparison.Ordinal);

    [PrivilegedFact]
    public void Missing_fixture_and_unknown_host_fail_with_a_hint()
    {
        Assert.Contains("receives no TopologyFixture", Failed("Host_without_a_fixture").Message, StringComparison.Ordinal);
        Assert.Contains("Host 'nobody' is in no topology fixture of HostFailures: ClientServerFixture has 'server', 'client'.", Failed("Unknown_host").Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Broken_fixture_fails_every_test_using_it_with_the_build_error()
    {
        foreach (var name in new[] { "First_user_of_a_broken_fixture", "Second_user_of_a_broken_fixture" })
        {
            var message = Failed(name).Message;
            Assert.Contains("The topology of fixture BrokenFixture failed to build", message, StringComparison.Ordinal);
            Assert.Contains("missing-switch", message, StringComparison.Ordinal);
            Assert.DoesNotContain("must not run", message, StringComparison.Ordinal);
        }
    }
}
