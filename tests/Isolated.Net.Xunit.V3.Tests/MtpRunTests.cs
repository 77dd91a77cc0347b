using System.Reflection;
using System.Text.RegularExpressions;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Xunit.V3.Tests;

// The Scenarios project is an xUnit v3 test executable on Microsoft.Testing.Platform (xunit.v3.mtp-v2), as
// a user's fresh `dotnet new xunit3` project is: run as `dotnet Isolated.Net.Xunit.V3.Scenarios.dll` with
// MTP options (a namespace filter, xunit's TRX report into a temporary results directory), its TRX read back.
internal static class MtpRun
{
    public static IReadOnlyDictionary<string, TrxRun.Result> Run(string scenarioNamespace, bool dropCapabilities, bool requirePrivileges)
    {
        var scenarios = typeof(MtpRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ScenariosAssembly").Value!;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return TrxRun.Run(results => [dotnet, scenarios, "--filter-namespace", "Isolated.Net.Xunit.V3.Scenarios." + scenarioNamespace,
                "--results-directory", results, "--report-xunit-trx", "--report-xunit-trx-filename", "mtp.trx", "--no-progress"],
            "mtp.trx", dropCapabilities, requirePrivileges);
    }
}

public class MtpRunTests
{
    [PrivilegedFact]
    public void Net_fact_and_fixture_host_pass_on_the_testing_platform()
    {
        var results = MtpRun.Run("Passing", dropCapabilities: false, requirePrivileges: true);

        Assert.Equal(["Fixture_host", "Fresh_namespace"], results.Keys.Order(StringComparer.Ordinal));
        Assert.All(results.Values, r => Assert.True(r.Outcome == "Passed", $"{r.Name}: {r.Outcome} {r.Message}"));
        // Output written from the namespace thread reaches the test's result.
        Assert.Matches(@"written from inside net:\[\d+\]", results["Fresh_namespace"].StdOut);
    }

    [ToolFact(Tools = "capsh")] // drops capabilities when this process has them
    public void Without_privileges_net_tests_are_skipped_with_the_reason()
    {
        var results = MtpRun.Run("Privileges", dropCapabilities: NetworkPrivileges.AreSufficient, requirePrivileges: false);

        string[] net = ["Fixture_host", "Fresh_namespace", "Theory_row(row: 1)", "Theory_row(row: 2)"];
        Assert.Equal([.. net.Append("Plain_fact").Order(StringComparer.Ordinal)], results.Keys.Order(StringComparer.Ordinal));
        foreach (var name in net)
        {
            Assert.Equal("NotExecuted", results[name].Outcome);
            Assert.Contains(NetworkPrivileges.Requirement, results[name].Message + results[name].StdOut, StringComparison.Ordinal);
        }
        Assert.Equal("Passed", results["Plain_fact"].Outcome);
    }

    [ToolFact(Tools = "capsh")] // drops capabilities when this process has them
    public void Without_privileges_but_required_net_tests_fail_with_the_reason()
    {
        var results = MtpRun.Run("Privileges", dropCapabilities: NetworkPrivileges.AreSufficient, requirePrivileges: true);

        foreach (var name in new[] { "Fixture_host", "Fresh_namespace", "Theory_row(row: 1)", "Theory_row(row: 2)" })
        {
            Assert.Equal("Failed", results[name].Outcome);
            Assert.Contains(NetworkPrivileges.Requirement, results[name].Message, StringComparison.Ordinal);
            Assert.Contains(NetworkPrivileges.RequireVariable + "=1", results[name].Message, StringComparison.Ordinal);
        }
        Assert.Equal("Passed", results["Plain_fact"].Outcome);
    }
}

// Deliberate failures in a child run, to see what the adapter reports.
public class MtpFailureReportTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, TrxRun.Result>> s_results =
        new(() => MtpRun.Run("Failures", dropCapabilities: false, requirePrivileges: true));

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
        var inode = Regex.Match(result.StdOut, @"written from inside net:\[(\d+)\]").Groups[1].Value;
        Assert.NotEmpty(inode);
        Assert.Contains($"fresh namespace of this test: netns (anonymous) net:[{inode}]", result.StdOut, StringComparison.Ordinal);
        Assert.True(result.StdOut.IndexOf("written from inside", StringComparison.Ordinal) < result.StdOut.IndexOf("Isolated.Net: the network", StringComparison.Ordinal));
    }

    [PrivilegedFact]
    public void Host_failure_carries_the_topology_description()
    {
        var result = Failed("Fails_in_a_host");
        Assert.Contains("the body ran in host 'client' of the topology of ClientServerFixture", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("switch lan: 10.0.1.0/24", result.StdOut, StringComparison.Ordinal);
        var topology = Regex.Match(result.StdOut, @"reproduce: isolated-net up (\S+\.topology\.json)").Groups[1];
        Assert.True(topology.Success, result.StdOut);
        File.Delete(topology.Value);
    }

    [PrivilegedFact]
    public void Capture_failure_names_the_kept_pcap_file()
    {
        var result = Failed("Fails_with_a_capture");
        var path = Regex.Match(result.StdOut, @"packet capture of [^:]+: (\S+\.pcap) \((\d+) packets").Groups;
        Assert.True(path[1].Success, result.StdOut);
        Assert.True(File.Exists(path[1].Value), path[1].Value);
        Assert.True(int.Parse(path[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        File.Delete(path[1].Value);
        // The topology file next to the pcap, and the line that brings it back by hand.
        var topology = Regex.Match(result.StdOut, @"reproduce: isolated-net up (\S+\.topology\.json)").Groups[1];
        Assert.True(topology.Success, result.StdOut);
        Assert.Equal(Path.GetDirectoryName(path[1].Value), Path.GetDirectoryName(topology.Value));
        TopologyBuilder.FromFile(topology.Value).Validate();
        File.Delete(topology.Value);
    }

    [PrivilegedFact]
    public void Unknown_host_fails_naming_the_hosts_there_are() =>
        Assert.Contains("Host 'nobody' is in no topology fixture", Failed("Unknown_host").Message, StringComparison.Ordinal);

    [PrivilegedFact]
    public void A_body_that_skips_itself_is_skipped_without_a_network_dump()
    {
        var result = s_results.Value["Skips_itself"];
        Assert.Equal("NotExecuted", result.Outcome);
        Assert.Contains("skipped on purpose from inside the namespace", result.Message + result.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("Isolated.Net: the network", result.StdOut, StringComparison.Ordinal);
    }
}
