using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.DependencyInjection.Tests;

// The disposal tests trust this oracle to see a namespace pinned by a socket: prove it does.
public sealed class ProcessNamespacesTests
{
    [PrivilegedFact]
    public void The_oracle_sees_namespace_fds_and_sockets_inside_namespaces()
    {
        var ns = NetworkNamespace.Create();
        var inodes = new HashSet<ulong> { ns.Inode };
        var socket = ns.CreateSocket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        var held = ProcessNamespaces.HeldAmong(inodes);
        Assert.Contains(held, h => h.Contains("is the namespace", StringComparison.Ordinal));
        Assert.Contains(held, h => h.Contains("is a socket in", StringComparison.Ordinal));

        ns.Dispose();
        Assert.Single(ProcessNamespaces.HeldAmong(inodes), h => h.Contains("is a socket in", StringComparison.Ordinal));
        socket.Dispose();
        Assert.Empty(ProcessNamespaces.HeldAmong(inodes));
    }
}
