using System.Globalization;
using Isolated.Net;
using Xunit;

namespace Isolated.Net.Reaping.HangScenario;

public sealed class HangingTest
{
    // Runs only when the crash test asks (HANG_SCENARIO_REPORT names the file to write what it made).
    [Fact]
    public void Hangs_holding_network_state()
    {
        var report = Environment.GetEnvironmentVariable("HANG_SCENARIO_REPORT");
        if (report is null)
        {
            return;
        }
        var prefix = Environment.GetEnvironmentVariable("HANG_SCENARIO_PREFIX")!;
        var named = NetworkNamespace.Create(prefix);
        var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        var sleeper = net["a"].StartProcess("sleep", "1000");
        File.WriteAllLines(report, [
            "PID " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "CHILD " + sleeper.Id.ToString(CultureInfo.InvariantCulture),
            "NETNS " + net["a"].Namespace.Inode.ToString(CultureInfo.InvariantCulture),
            "NAMED " + named.Inode.ToString(CultureInfo.InvariantCulture),
            "READY"]);
        Thread.Sleep(Timeout.Infinite);
    }
}
