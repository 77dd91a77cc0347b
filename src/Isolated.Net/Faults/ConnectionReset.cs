using System.Net;
using Isolated.Net.Netlink;

namespace Isolated.Net.Faults;

// Resetting established TCP connections between hosts now, in both hosts' namespaces, as `ss -K dst
// PEER` run in each: the kernel aborts the socket (its owner's next call fails with ECONNABORTED) and
// sends the peer a reset. Doing both ends means neither depends on that reset arriving (a cut may
// drop it), and idle connections fail too, not only at their next segment.
internal static class ConnectionReset
{
    /// <summary>Aborts every connection between each host of a pair, at both ends; returns the sockets aborted.</summary>
    public static int Reset(IEnumerable<(NetHost Host, NetHost Peer)> pairs)
    {
        var remotes = new Dictionary<NetHost, HashSet<IPAddress>>();
        foreach (var (host, peer) in pairs)
        {
            Remotes(host).UnionWith(AddressesOf(peer));
            Remotes(peer).UnionWith(AddressesOf(host));
        }
        int destroyed = 0;
        foreach (var (host, addresses) in remotes)
        {
            using var socket = SockDiagSocket.Open(host.Namespace);
            destroyed += socket.DestroyTcpConnections(addresses, $"resetting TCP connections of {host}");
        }
        return destroyed;

        HashSet<IPAddress> Remotes(NetHost host)
        {
            if (!remotes.TryGetValue(host, out var set))
            {
                set = [];
                remotes.Add(host, set);
            }
            return set;
        }
    }

    private static IEnumerable<IPAddress> AddressesOf(NetHost host) =>
        host.Interfaces.SelectMany(i => new[] { i.IPv4?.Address, i.IPv6?.Address }).OfType<IPAddress>();
}
