using System.Globalization;
using System.Runtime.Versioning;
using System.Text;
using Isolated.Net.Namespaces;

namespace Isolated.Net;

/// <summary>A thread of this process that sits in a foreign network namespace without being a namespace thread of ours.</summary>
/// <param name="ThreadId">The kernel thread id.</param>
/// <param name="Name">The thread's name (/proc/self/task/TID/comm).</param>
/// <param name="NamespaceInode">The nsfs inode of the namespace it is in.</param>
public sealed record StrayThread(int ThreadId, string Name, ulong NamespaceInode)
{
    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"thread {ThreadId} '{Name}' in net:[{NamespaceInode}]");
}

/// <summary>
/// Finds threads that left the root network namespace by accident: a thread created from a namespace
/// thread (a raw <c>new Thread</c>, a thread-pool worker the pool started from there, a lazily created
/// runtime thread) inherits that namespace and silently runs unrelated work inside it. Test adapters
/// run this after every test and fail the test that leaked.
/// </summary>
[SupportedOSPlatform("linux")]
public static class NamespaceLeakDetector
{
    // Runtime threads that the runtime starts from whichever thread first needs them and ends after some
    // idle seconds: the tiered-compilation worker (compiles methods) and the background GC thread
    // (collects garbage, ~20 s idle). Neither opens a socket or starts a process; at worst one keeps a
    // disposed namespace alive until it exits.
    private static readonly string[] RuntimeWorkers = [".NET Tiered Com", ".NET BGC"];

    private static readonly Lazy<string?> s_rootNamespace = new(() => ReadLink("/proc/self/ns/net"));

    /// <summary>Scans /proc/self/task/*/ns/net and returns every stray thread.</summary>
    public static IReadOnlyList<StrayThread> FindStrayThreads()
    {
        var root = s_rootNamespace.Value;
        var strays = new List<StrayThread>();
        if (root is null)
        {
            return strays;
        }
        var present = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
            {
                continue;
            }
            present.Add(tid);
            var ns = ReadLink(Path.Combine(dir, "ns/net"));
            if (ns is null || ns == root || NamespaceThread.IsNamespaceThread(tid))
            {
                continue;
            }
            // A thread that made a namespace on its own and came back (TryCreateHere) may have left its
            // transit between the two reads: look again.
            ns = ReadLink(Path.Combine(dir, "ns/net"));
            if (ns is null || ns == root || NamespaceThread.IsNamespaceThread(tid))
            {
                continue;
            }
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(dir, "comm")).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue; // the thread exited while we looked
            }
            if (RuntimeWorkers.Contains(name))
            {
                continue;
            }
            strays.Add(new StrayThread(tid, name, ParseInode(ns)));
        }
        NamespaceThread.PruneRetired(present);
        return strays;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> naming every stray thread, if any.</summary>
    public static void ThrowIfStrayThreads()
    {
        var strays = FindStrayThreads();
        if (strays.Count == 0)
        {
            return;
        }
        var message = new StringBuilder("Threads were left inside network namespaces (created from a namespace thread, they inherited it): ");
        message.AppendJoin("; ", strays);
        message.Append(". Open sockets with NetworkNamespace.CreateSocket/CreateHttpClient instead of starting threads inside a body.");
        throw new InvalidOperationException(message.ToString());
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static ulong ParseInode(string link)
    {
        // "net:[4026531840]"
        int open = link.IndexOf('[', StringComparison.Ordinal);
        int close = link.IndexOf(']', StringComparison.Ordinal);
        return open >= 0 && close > open && ulong.TryParse(link.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode) ? inode : 0;
    }
}
