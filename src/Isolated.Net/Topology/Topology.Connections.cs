using System.Net.Sockets;
using Isolated.Net.Faults;

namespace Isolated.Net;

// Connection resets: a fault that acts once and leaves nothing in force, next to the cuts of
// Topology.Faults.cs.
public sealed partial class Topology
{
    /// <summary>
    /// Kills every TCP connection between two hosts now, at both ends, idle ones too: each end's socket
    /// is aborted in its own host (as <c>ss -K</c> does), so the program holding it gets an error at its
    /// next or pending receive or send (<see cref="SocketError.ConnectionAborted"/> where the socket was
    /// aborted; <see cref="SocketError.ConnectionReset"/> where the other end's reset arrived first), and
    /// the kernel sends the peer a reset. New connections work at once; nothing stays in force, so there
    /// is nothing to <see cref="Heal"/>. Connections are matched by the peer's addresses as each host
    /// sees them (behind a NAT router, the outside host sees the router's address, not the inner host's).
    /// </summary>
    /// <param name="first">A host or router name.</param>
    /// <param name="second">Another host or router name.</param>
    /// <returns>How many sockets were aborted (a connection seen at both ends counts once in each host).</returns>
    /// <exception cref="ArgumentException">The two names are the same host.</exception>
    /// <exception cref="KeyNotFoundException">A name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">The kernel cannot destroy sockets (it lacks CONFIG_INET_DIAG_DESTROY).</exception>
    /// <exception cref="NetworkOperationException">Listing or destroying sockets failed (<see cref="InsufficientPrivilegesException"/> without CAP_NET_ADMIN over the hosts' namespaces); the message names the operation and host.</exception>
    public int ResetConnections(string first, string second)
    {
        var (a, b) = (this[first], this[second]);
        if (a == b)
        {
            throw new ArgumentException($"Host '{a.Name}' is named twice; connections are reset between two different hosts.", nameof(second));
        }
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return ConnectionReset.Reset([(a, b)]);
    }

    /// <summary>
    /// Kills every TCP connection between <paramref name="host"/> and any other host or router of the
    /// topology now, at both ends, as <see cref="ResetConnections(string, string)"/> does for one pair.
    /// </summary>
    /// <param name="host">A host or router name.</param>
    /// <returns>How many sockets were aborted, over all hosts.</returns>
    /// <exception cref="KeyNotFoundException">The name is not a host of this topology.</exception>
    /// <exception cref="NotSupportedException">The kernel cannot destroy sockets (it lacks CONFIG_INET_DIAG_DESTROY).</exception>
    /// <exception cref="NetworkOperationException">Listing or destroying sockets failed; the message names the operation and host.</exception>
    public int ResetConnections(string host)
    {
        var target = this[host];
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return ConnectionReset.Reset(_hostOrder.Where(h => h != target).Select(other => (target, other)));
    }
}
