using System.Globalization;

// Internal to each xUnit adapter (v2 and v3), in the same namespace in both; the v3 adapter finds
// TopologyFixture and NetTestContext through a global using.
namespace Isolated.Net.Xunit.Sdk;

// The stray-thread check after each test, attributed: tests of different classes run in parallel, so a
// stray in another running test's namespace is that test's to report. A stray in a namespace no running
// test owns goes to whichever test checks first. Each stray is reported once.
internal static class NamespaceLeakCheck
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<ulong, int> s_active = [];
    private static readonly HashSet<int> s_reported = [];

    public static IDisposable Enter(IReadOnlyCollection<ulong> inodes)
    {
        lock (s_lock)
        {
            foreach (var inode in inodes)
            {
                s_active[inode] = s_active.GetValueOrDefault(inode) + 1;
            }
        }
        return new Scope(inodes);
    }

    public static void ThrowIfStrayThreads(IReadOnlyCollection<ulong> inodes)
    {
        List<StrayThread> mine;
        lock (s_lock)
        {
            var strays = NamespaceLeakDetector.FindStrayThreads();
            s_reported.IntersectWith(strays.Select(s => s.ThreadId));
            mine = [.. strays.Where(s => (inodes.Contains(s.NamespaceInode) || !s_active.ContainsKey(s.NamespaceInode)) && s_reported.Add(s.ThreadId))];
        }
        if (mine.Count > 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The test left {mine.Count} thread(s) inside a network namespace: {string.Join("; ", mine)}. A thread started from inside a namespace inherits it; start threads outside the body, or open sockets with NetworkNamespace.CreateSocket / CreateHttpClient."));
        }
    }

    private sealed class Scope(IReadOnlyCollection<ulong> inodes) : IDisposable
    {
        public void Dispose()
        {
            lock (s_lock)
            {
                foreach (var inode in inodes)
                {
                    if (s_active[inode] == 1)
                    {
                        s_active.Remove(inode);
                    }
                    else
                    {
                        s_active[inode]--;
                    }
                }
            }
        }
    }
}
