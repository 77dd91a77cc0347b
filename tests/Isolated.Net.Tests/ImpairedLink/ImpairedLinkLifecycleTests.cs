using System.Globalization;
using Isolated.Net.Testing;
using Isolated.Net.Tests.Namespaces;
using Xunit;
using Xunit.Abstractions;
using static Isolated.Net.Tests.ImpairedLinks.ImpairedTraffic;

namespace Isolated.Net.Tests.ImpairedLinks;

// Counts the process's threads, fds and CPU time: must not run beside other tests.
[Collection(nameof(ProcessWideCounts))]
public sealed class ImpairedLinkLifecycleTests(ITestOutputHelper output)
{
    [PrivilegedFact(UsesTapDevice = true)]
    public async Task Dispose_stops_the_forwarder_and_leaves_no_thread_or_fd()
    {
        await RoundTripOnceAsync(); // lazily created runtime state is not a leak
        var tapFdsBefore = TapFds();
        int fdsBefore = Directory.GetFiles("/proc/self/fd").Length;

        var net = Build();
        var link = net.GetLink("a", "b").Forwarder;
        using (StartUdpEcho(net["b"]))
        {
            Assert.Single(UdpPingMilliseconds(net["a"], net.AddressOf("b"), 1));
        }
        var threads = link.ThreadIds;
        Assert.Equal(2, threads.Count);
        Assert.All(threads, tid => Assert.True(Directory.Exists($"/proc/self/task/{tid}")));
        var tapFdsOfLink = TapFds().Except(tapFdsBefore).ToList();
        Assert.Equal(2, tapFdsOfLink.Count); // one per end

        net.Dispose();

        // Disposing the first host's namespace stopped the forwarder before Dispose returned; a joined
        // thread may stay listed in /proc/self/task for a moment.
        Assert.False(link.IsRunning);
        Assert.Null(link.Failure);
        Assert.Empty(TapFds().Intersect(tapFdsOfLink));
        SpinWait.SpinUntil(() => threads.All(tid => !Directory.Exists($"/proc/self/task/{tid}")), TimeSpan.FromSeconds(15));
        Assert.All(threads, tid => Assert.False(Directory.Exists($"/proc/self/task/{tid}"), $"forwarder thread {tid} still exists"));
        SpinWait.SpinUntil(() => Directory.GetFiles("/proc/self/fd").Length <= fdsBefore, TimeSpan.FromSeconds(15));
        // Other fds may close meanwhile (finalizers of earlier tests' objects); none may have been added.
        Assert.True(Directory.GetFiles("/proc/self/fd").Length <= fdsBefore, $"fds grew from {fdsBefore}");
        Assert.Empty(NamespaceLeakDetector.FindStrayThreads());
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task The_forwarder_threads_use_no_CPU_while_idle()
    {
        await using var net = Build();
        var link = net.GetLink("a", "b").Forwarder;
        using (StartUdpEcho(net["b"]))
        {
            Assert.Equal(20, UdpPingMilliseconds(net["a"], net.AddressOf("b"), 20).Count);
        }
        await Task.Delay(200);

        long before = CpuTicks(link.ThreadIds);
        await Task.Delay(TimeSpan.FromSeconds(1));
        long used = CpuTicks(link.ThreadIds) - before;

        output.WriteLine($"forwarder threads used {used} clock ticks (of {Environment.ProcessorCount * 100} available) in an idle second");
        // A thread that polled would use about 100 ticks a second; a sleeping one none, or one when a stray
        // frame (a neighbour probe) happens to be handled as the tick falls.
        Assert.InRange(used, 0, 2);
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task Deleting_one_end_stops_the_forwarder_and_removes_the_other_end()
    {
        await using var net = Build();
        var link = net.GetLink("a", "b").Forwarder;
        var threads = link.ThreadIds;

        var (code, _, stderr) = Oracle.Exec("nsenter", "--net=" + net["b"].Namespace.ProcPath, "ip", "link", "del", "eth0");
        Assert.True(code == 0, stderr);

        Assert.True(SpinWait.SpinUntil(() => !link.IsRunning, TimeSpan.FromSeconds(15)), "the forwarder still runs");
        Assert.True(SpinWait.SpinUntil(() => threads.All(tid => !Directory.Exists($"/proc/self/task/{tid}")), TimeSpan.FromSeconds(15)), "a forwarder thread still exists");
        // Like a veth pair: with its peer gone, the other end goes too.
        Assert.True(SpinWait.SpinUntil(() => !Oracle.IpJson(net["a"].Namespace, "link", "show").EnumerateArray().Any(l => l.GetProperty("ifname").GetString() == "eth0"), TimeSpan.FromSeconds(15)));
        Assert.Null(link.Failure);
    }

    private static Isolated.Net.Topology Build() => new TopologyBuilder().AddHost("a").AddHost("b")
        .ImpairedLink("a", "b", o => o.Both(i => i.Delay = TimeSpan.FromMilliseconds(1)))
        .Build();

    private static async Task RoundTripOnceAsync()
    {
        await using var net = Build();
        using (StartUdpEcho(net["b"]))
        {
            Assert.Single(UdpPingMilliseconds(net["a"], net.AddressOf("b"), 1));
        }
    }

    // The fds of this process open on /dev/net/tun.
    private static List<string> TapFds() =>
        [.. Directory.GetFiles("/proc/self/fd").Where(fd => new FileInfo(fd).LinkTarget == Isolated.Net.Interop.Interop.TunDevicePath)];

    // utime + stime (fields 14 and 15 of /proc/self/task/TID/stat), in clock ticks.
    private static long CpuTicks(IEnumerable<int> threads) => threads.Sum(tid =>
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    });
}
