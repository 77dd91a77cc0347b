using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Benchmarks;

// Benchmark (f): many 2-host topologies back to back. Reports throughput, this process's resident set
// at start, middle and end, and the kernel's backlog of network namespaces (NamespaceBacklog) at the end and after
// it drains, as the change against the settled count before the run.
internal static class SustainedLoad
{
    public sealed record Result(int Topologies, double Seconds, long RssStartKiB, long RssMiddleKiB, long RssEndKiB,
        int? NamespacesBefore, int? NamespacesAtEnd, int? NamespacesAfterDrain, double DrainSeconds);

    public static Result Run(int topologies, TimeSpan drainLimit)
    {
        var builder = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b");
        for (int i = 0; i < 20; i++)
        {
            builder.Build().Dispose();
        }
        ForceCollection();
        int? before = NamespaceBacklog.Settle(target: null, TimeSpan.FromSeconds(10)).Count;
        long rssStart = ResidentKiB(), rssMiddle = 0;
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < topologies; i++)
        {
            builder.Build().Dispose();
            if (i == topologies / 2)
            {
                rssMiddle = ResidentKiB();
            }
        }
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long rssEnd = ResidentKiB();
        int? atEnd = NamespaceBacklog.Count();
        var (afterDrain, drainSeconds) = NamespaceBacklog.Settle(before, drainLimit);
        return new Result(topologies, seconds, rssStart, rssMiddle, rssEnd, before, atEnd, afterDrain, drainSeconds);
    }

    public static long ResidentKiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    private static void ForceCollection()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
