using Isolated.Net.Testing;

namespace Isolated.Net.NUnit.Tests;

// Where the calling thread is, read from /proc (not from our own bookkeeping).
internal static class Membership
{
    public static readonly ulong RootInode = Oracle.InodeOf("/proc/self/ns/net");

    public static ulong Current => Oracle.CurrentThreadNamespaceInode();
}
