using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

// What a user sees in `dotnet test`, shown on child runs of the scenario assemblies (built against
// NUnit 4 and NUnit 5): skips without privileges, failures when privileges are required, and the
// failure output. Three child runs in all: they are slow, so each checks everything it can.
[NonParallelizable]
[RequiresNetworkPrivileges] // capsh --drop needs CAP_SETPCAP; the failure run needs namespaces.
public class NestedRunTests
{
    private static readonly string[] s_versions = ["isolated.net.nunit.scenarios", "isolated.net.nunit5.scenarios"];

    private static readonly string[] s_privilegedScenarios = ["Fresh_namespace_test", "Plain_privileged_test", "Host_test", "Class_level_test"];

    [Test]
    public void Without_privileges_the_tests_are_ignored_with_the_requirement_as_reason()
    {
        var results = NestedTestRun.Run(dropPrivileges: true, requirePrivileges: false, failures: false);
        foreach (var result in PrivilegedScenarios(results))
        {
            Assert.That(result.Outcome, Is.EqualTo("NotExecuted"), result.ToString());
            Assert.That(result.Message, Does.Contain(NetworkPrivileges.Requirement), result.ToString());
            Assert.That(result.Message, Does.Contain("missing CAP_NET_ADMIN + CAP_SYS_ADMIN"), result.ToString());
        }
        Assert.That(results.Where(r => r.Outcome == "Failed"), Is.Empty, "nothing fails when privileges are merely missing");
    }

    [Test]
    public void Without_privileges_but_required_the_tests_fail()
    {
        var results = NestedTestRun.Run(dropPrivileges: true, requirePrivileges: true, failures: false);
        foreach (var result in PrivilegedScenarios(results))
        {
            Assert.That(result.Outcome, Is.EqualTo("Failed"), result.ToString());
            Assert.That(result.Message, Does.Contain(NetworkPrivileges.Requirement), result.ToString());
        }
        foreach (var version in s_versions)
        {
            Assert.That(Single(results, version, "Host_test").Message, Does.Contain($"{NetworkPrivileges.RequireVariable}=1 makes that a failure"));
            Assert.That(Single(results, version, "Fresh_namespace_test").Message, Does.Contain($"{NetworkPrivileges.RequireVariable}=1 makes that a failure"));
        }
    }

    [Test]
    public void Failures_show_the_network_and_a_stray_thread_fails_its_test()
    {
        var results = NestedTestRun.Run(dropPrivileges: false, requirePrivileges: true, failures: true);
        foreach (var result in PrivilegedScenarios(results).Concat(s_versions.Select(v => Single(results, v, "Passing_test_beside_them"))))
        {
            Assert.That(result.Outcome, Is.EqualTo("Passed"), result.ToString());
        }
        foreach (var version in s_versions)
        {

            var sync = Single(results, version, "Sync_assertion_fails_in_a_host");
            Assert.That(sync.Outcome, Is.EqualTo("Failed"));
            Assert.That(sync.Message, Does.Contain("deliberate"));
            AssertDescribesTopology(sync);

            var async = Single(results, version, "Async_body_throws_after_awaits");
            Assert.That(async.Outcome, Is.EqualTo("Failed"));
            Assert.That(async.Message, Does.Contain("InvalidOperationException").And.Contain("deliberate async failure"));
            AssertDescribesTopology(async);

            var fresh = Single(results, version, "Fails_in_a_fresh_namespace");
            Assert.That(fresh.Outcome, Is.EqualTo("Failed"));
            Assert.That(fresh.StdOut, Does.Contain("Isolated.Net: the test failed; its network as the kernel sees it now:"));
            Assert.That(fresh.StdOut, Does.Contain("fresh namespace of this test: netns (anonymous) net:[").And.Contain("lo UP mtu 65536 127.0.0.1/8"));

            var captured = Single(results, version, "Fails_with_a_capture");
            Assert.That(captured.Outcome, Is.EqualTo("Failed"));
            AssertShowsDumpAndCapture(captured);

            var ignored = Single(results, version, "Ignored_inside_is_not_a_failure");
            Assert.That(ignored.Outcome, Is.EqualTo("NotExecuted"));
            Assert.That(ignored.StdOut, Does.Not.Contain("Isolated.Net: the test failed"));

            var stray = Single(results, version, "Leaves_a_thread_inside_the_namespace");
            Assert.That(stray.Outcome, Is.EqualTo("Failed"));
            Assert.That(stray.Message, Does.Contain("Threads were left inside network namespaces").And.Contain("'stray-sleeper'"));
        }
    }

    // The host's sockets and neighbours in the dump, and the pcap file named in the output and attached.
    private static void AssertShowsDumpAndCapture(TrxResult result)
    {
        Assert.That(result.StdOut, Does.Contain("  tcp LISTEN     0.0.0.0:7002 *").And.Contain("  tcp ESTAB      10.0.1.").And.Contain("  neigh 10.0.1."), result.StdOut);
        var match = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"packet capture of client \(all interfaces\): (\S+\.pcap) \((\d+) packets\)");
        Assert.That(match.Success, result.StdOut);
        var path = match.Groups[1].Value;
        try
        {
            Assert.That(int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThanOrEqualTo(3), "the handshake is at least three packets");
            Assert.That(File.ReadAllBytes(path)[..4], Is.EqualTo(new byte[] { 0xd4, 0xc3, 0xb2, 0xa1 }), "pcap magic");
            Assert.That(result.ResultFiles!.Select(Path.GetFileName), Does.Contain(Path.GetFileName(path)), "attached to the result");
        }
        finally
        {
            File.Delete(path);
        }
        // The topology file next to the pcap, and the line that brings it back by hand.
        var reproduce = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"reproduce: isolated-net up (\S+\.topology\.json)");
        Assert.That(reproduce.Success, result.StdOut);
        var topology = reproduce.Groups[1].Value;
        try
        {
            Assert.That(Path.GetDirectoryName(topology), Is.EqualTo(Path.GetDirectoryName(path)));
            Assert.That(Path.GetFileName(topology), Does.StartWith("FailureScenarios.Fails_with_a_capture-").Or.Contain("Fails_with_a_capture-"));
            Assert.DoesNotThrow(() => TopologyBuilder.FromFile(topology).Validate());
        }
        finally
        {
            File.Delete(topology);
        }
    }

    private static void AssertDescribesTopology(TrxResult result)
    {
        Assert.That(result.StdOut, Does.Contain("Isolated.Net: the test failed; its network as the kernel sees it now:"), result.ToString());
        Assert.That(result.StdOut, Does.Contain("switch lan: 10.0.1.0/24").Or.Contain("switch lan: 10.0."), result.StdOut);
        Assert.That(result.StdOut, Does.Contain("host client (net:[").And.Contain("host server (net:["), result.StdOut);
        var reproduce = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"reproduce: isolated-net up (\S+\.topology\.json)");
        Assert.That(reproduce.Success, result.StdOut);
        File.Delete(reproduce.Groups[1].Value);
    }

    private static IEnumerable<TrxResult> PrivilegedScenarios(IReadOnlyList<TrxResult> results) =>
        s_versions.SelectMany(version => s_privilegedScenarios.Select(name => Single(results, version, name)));

    private static TrxResult Single(IReadOnlyList<TrxResult> results, string version, string name)
    {
        var matches = results.Where(r => r.Assembly == version && r.Name == name).ToList();
        Assert.That(matches, Has.Count.EqualTo(1), $"{version}: {name} among\n{string.Join('\n', results)}");
        return matches[0];
    }
}
