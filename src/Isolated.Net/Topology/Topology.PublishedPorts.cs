using System.Net.Sockets;

namespace Isolated.Net;

// Published ports: a host's port reachable from the test process's loopback (Docker's -p).
public sealed partial class Topology
{
    private readonly List<PublishedPort> _publishedPorts = [];

    /// <summary>The ports published with <see cref="Publish"/> and not yet disposed.</summary>
    public IReadOnlyList<PublishedPort> PublishedPorts
    {
        get
        {
            lock (_publishedPorts)
            {
                return [.. _publishedPorts];
            }
        }
    }

    /// <summary>
    /// Publishes <paramref name="port"/> of <paramref name="host"/> on 127.0.0.1 in the namespace the test process
    /// started in — whatever thread calls this, even a namespace thread — like Docker's <c>-p 8080:80</c>: any
    /// client there (a plain <see cref="HttpClient"/>, a database driver, a browser) connecting to
    /// <see cref="PublishedPort.EndPoint"/> reaches the host's port. A userspace proxy in this process; each
    /// connection reaches the server from inside the host (its own address, else its loopback), so a server bound
    /// to the host's topology address, to 0.0.0.0/:: or to 127.0.0.1 is reached. Disposing the port, or the
    /// topology, closes it.
    /// </summary>
    /// <param name="host">A host or router name of this topology.</param>
    /// <param name="port">The port inside the host, 1–65535.</param>
    /// <param name="protocol"><see cref="ProtocolType.Tcp"/> (default) or <see cref="ProtocolType.Udp"/>.</param>
    /// <param name="localPort">The port on 127.0.0.1, 1–65535, or 0 (default) to let the kernel pick a free one.</param>
    /// <returns>The published port; its <see cref="PublishedPort.EndPoint"/> is where clients connect.</returns>
    /// <exception cref="ObjectDisposedException">The topology is disposed.</exception>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> or <paramref name="localPort"/> is out of range, or <paramref name="protocol"/> is neither TCP nor UDP.</exception>
    /// <exception cref="KeyNotFoundException">No such host; the message lists the hosts there are.</exception>
    /// <exception cref="SocketException"><paramref name="localPort"/> is in use on 127.0.0.1.</exception>
    /// <exception cref="InsufficientPrivilegesException">The proxy's sockets cannot be marked in the host (SO_MARK needs CAP_NET_ADMIN there).</exception>
    public PublishedPort Publish(string host, int port, ProtocolType protocol = ProtocolType.Tcp, int localPort = 0)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfNegative(localPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localPort, 65535);
        if (protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "Only TCP and UDP ports can be published.");
        }
        var target = this[host];

        var published = PublishedPort.Start(this, target, port, protocol, localPort);
        lock (_publishedPorts)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                _publishedPorts.Add(published);
                return published;
            }
        }
        published.Dispose();
        throw new ObjectDisposedException(GetType().FullName);
    }

    internal void ForgetPublishedPort(PublishedPort published)
    {
        lock (_publishedPorts)
        {
            _publishedPorts.Remove(published);
        }
    }

    // First on dispose: clients in the caller's namespace then see their connections reset rather than
    // stalled, and no relay is still opening sockets in a namespace being closed.
    private void DisposePublishedPorts()
    {
        List<PublishedPort> all;
        lock (_publishedPorts)
        {
            all = [.. _publishedPorts];
            _publishedPorts.Clear();
        }
        foreach (var published in all)
        {
            published.Dispose();
        }
    }
}
