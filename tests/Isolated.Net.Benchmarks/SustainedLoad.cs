using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Benchmarks;

// Benchmark (f): many 2-host topologies back to back. Reports throughput; this process's resident set
// at start, middle and end, and every tenth of the run beside the GC's committed bytes (to tell a leak
// from heap the GC keeps); and the kernel's backlog of network namespaces (NamespaceBacklog) at the end
// and after it drains, as the change against the settled count before the run.
internal static class SustainedLoad
{
    // Process state at one moment: resident set, the managed heap after a full collection (what is
    // really still referenced; RSS also keeps heap the GC has not returned), threads and open fds.
    public sealed record Snapshot(long RssKiB, long ManagedHeapBytes, int Threads, int OpenFds)
    {
        public static Snapshot Take(bool collect) => new(ResidentKiB(), GC.GetTotalMemory(forceFullCollection: collect),
            Directory.GetDirectories("/proc/self/task").Length, Directory.GetFiles("/proc/self/fd").Length);
    }

    public sealed record Result(int Topologies, double Seconds, Snapshot Start, Snapshot Middle, Snapshot End,
        int? NamespacesBefore, int? NamespacesAtEnd, int? NamespacesAfterDrain, double DrainSeconds, IReadOnlyList<long> RssSeriesKiB, IReadOnlyList<long> GcCommittedSeriesBytes, long ManagedHeapAfterScanBytes, long AllocatedBytes);

    public static Result Run(int topologies, TimeSpan drainLimit)
    {
        var builder = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b");
        for (int i = 0; i < 20; i++)
        {
            builder.Build().Dispose();
        }
        int? before = NamespaceBacklog.Settle(target: null, TimeSpan.FromSeconds(10)).Count;
        var start = Snapshot.Take(collect: true);
        Snapshot? middle = null;
        var series = new List<long>(11) { start.RssKiB };
        // What the GC has committed: RSS that grows with it is heap the GC has not handed back yet.
        var committed = new List<long>(11) { GC.GetGCMemoryInfo().TotalCommittedBytes };
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < topologies; i++)
        {
            builder.Build().Dispose();
            if (i == topologies / 2)
            {
                middle = Snapshot.Take(collect: false);
            }
            if ((i + 1) % Math.Max(1, topologies / 10) == 0)
            {
                series.Add(ResidentKiB());
                committed.Add(GC.GetGCMemoryInfo().TotalCommittedBytes);
            }
        }
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        int? atEnd = NamespaceBacklog.Count();
        var end = Snapshot.Take(collect: true);
        // The core remembers exited namespace threads until a stray-thread scan prunes them (the test
        // adapters scan after every test; this loop never does). The heap after one scan shows how much
        // of the growth that is.
        _ = NamespaceLeakDetector.FindStrayThreads();
        long heapAfterScan = GC.GetTotalMemory(forceFullCollection: true);
        var (afterDrain, drainSeconds) = NamespaceBacklog.Settle(before, drainLimit);
        return new Result(topologies, seconds, start, middle ?? start, end, before, atEnd, afterDrain, drainSeconds, series, committed, heapAfterScan, allocated);
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
}
