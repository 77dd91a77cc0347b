using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Benchmarks;

// The kernel's count of network namespaces: active objects of the net_namespace slab cache in
// /proc/slabinfo. It includes namespaces already disposed whose teardown (cleanup_net, asynchronous,
// under the rtnl lock) has not run yet, the backlog that competes with the next build for that lock.
// The count is machine-wide: other processes' namespaces are in it too.
internal static class NamespaceBacklog
{
    // Null when the kernel does not show the cache (slab merging) or /proc/slabinfo is unreadable.
    public static int? Count()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/slabinfo"))
            {
                if (line.StartsWith("net_namespace ", StringComparison.Ordinal))
                {
                    return int.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    // Waits until the count reaches target, or (no target) stops falling for half a second, or the
    // limit passes. Returns the last count and the time waited.
    public static (int? Count, double Seconds) Settle(int? target, TimeSpan limit)
    {
        long started = Stopwatch.GetTimestamp();
        int? last = Count();
        if (last is null)
        {
            return (null, 0);
        }
        int stable = 0;
        while (Stopwatch.GetElapsedTime(started) < limit && !(target is { } t && last <= t))
        {
            Thread.Sleep(50);
            int? now = Count();
            stable = now >= last ? stable + 1 : 0;
            last = now;
            if (target is null && stable >= 10)
            {
                break;
            }
        }
        return (last, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
