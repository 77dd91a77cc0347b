using Isolated.Net.Testing;

namespace Isolated.Net.Xunit.V3.Tests;

// Where the calling thread is, read from /proc (independent of our own bookkeeping).
internal static class Membership
{
    public static ulong Current => Oracle.CurrentThreadNamespaceInode();

    // The main thread never enters a namespace: /proc/self/ns/net is the root namespace.
    public static ulong Root => Oracle.InodeOf("/proc/self/ns/net");
}
