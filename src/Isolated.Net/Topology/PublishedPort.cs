using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Isolated.Net.Namespaces;

namespace Isolated.Net;

/// <summary>
/// A port of a host published on the test process's loopback, like Docker's <c>-p 8080:80</c>: any client
/// in the namespace the process started in (a plain <see cref="HttpClient"/>, a database driver, a gRPC
/// channel, a browser) that connects to <see cref="EndPoint"/> reaches <see cref="Host"/>:<see cref="Port"/>.
/// Made by <see cref="Topology.Publish"/>; a userspace proxy in this process, so nothing outside the
/// process changes and it ends with the topology or the process.
/// </summary>
/// <remarks>
/// Each accepted connection (or UDP client) gets its own socket inside the host's namespace, connected to
/// the host's own address, so the server sees a connection from its own address. Bytes are copied both
/// ways; a half-close (FIN) is passed on as a half-close, a reset as a reset.
/// </remarks>
public sealed partial class PublishedPort : IAsyncDisposable, IDisposable
{
    // SO_MARK of every socket the proxy makes inside a host: the firewall matches it (meta mark) so that
    // cutting a host off also cuts the traffic that reaches it through a published port.
    internal const uint Mark = 0x15_0A_7E_D0;

    private readonly Topology _topology;
    private readonly NetHost _host;
    private readonly Socket _listener;
    private readonly IPAddress[] _targets;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private int _preferredTarget;
    private int _disposed;

    private PublishedPort(Topology topology, NetHost host, int port, ProtocolType protocol, Socket listener)
    {
        _topology = topology;
        _host = host;
        _listener = listener;
        Port = port;
        Protocol = protocol;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _targets = TargetsOf(host, protocol);
        _udpAssociations = new(this);
    }

    /// <summary>Where clients in the test process connect: 127.0.0.1 and the local port (chosen by the kernel unless one was asked for).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The name of the host whose port is published.</summary>
    public string Host => _host.Name;

    /// <summary>The port inside the host that connections reach.</summary>
    public int Port { get; }

    /// <summary><see cref="ProtocolType.Tcp"/> or <see cref="ProtocolType.Udp"/>.</summary>
    public ProtocolType Protocol { get; }

    /// <summary>The number of proxied TCP connections (or UDP client associations) open now.</summary>
    public int ActiveConnections
    {
        get
        {
            lock (_gate)
            {
                return _relays.Count + _udpAssociations.Count;
            }
        }
    }

    /// <summary>A URI for <see cref="EndPoint"/>, e.g. <c>http://127.0.0.1:41234/</c>, for an HTTP client's BaseAddress.</summary>
    /// <param name="scheme">The URI scheme: "http", "https", "redis", …</param>
    /// <exception cref="ArgumentException"><paramref name="scheme"/> is null, empty or not a valid scheme.</exception>
    public Uri GetUri(string scheme = "http")
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        if (!Uri.CheckSchemeName(scheme))
        {
            throw new ArgumentException($"'{scheme}' is not a valid URI scheme.", nameof(scheme));
        }
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{EndPoint.Address}:{EndPoint.Port}/"));
    }

    /// <summary>Stops the listener (the endpoint refuses connections from now on) and resets every open proxied connection. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        _listener.Dispose();
        List<TcpRelay> relays;
        lock (_gate)
        {
            relays = [.. _relays];
            _relays.Clear();
        }
        foreach (var relay in relays)
        {
            relay.Abort();
        }
        _udpAssociations.CloseAll();
        _topology.ForgetPublishedPort(this);
    }

    /// <summary>Same as <see cref="Dispose"/>; nothing is awaited.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{EndPoint} -> {Host}:{Port}/{(Protocol == ProtocolType.Udp ? "udp" : "tcp")}");

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    // Validated by Topology.Publish. The listener is made on the root dispatcher, a thread that never
    // enters a namespace: a socket's namespace is its creating thread's, and Publish may be called from a
    // namespace thread. The accept or receive loop starts there too, so no continuation of it ever runs
    // on a namespace thread (it awaits with ConfigureAwait(false) and lands on root pool threads).
    internal static PublishedPort Start(Topology topology, NetHost host, int port, ProtocolType protocol, int localPort)
    {
        // Probe the mark first: a host whose traffic could not be marked could not be cut off either.
        using (var probe = host.Namespace.CreateSocket(AddressFamily.InterNetwork, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol))
        {
            Interop.Interop.SetMark(probe, Mark, $"marking the published port's sockets in host '{host.Name}' (SO_MARK)");
        }
        RuntimeWarmup.EnsureRootThreads();
        PublishedPort? published = null;
        ExceptionDispatchInfo? failure = null;
        using var done = new ManualResetEventSlim();
        RootDispatcher.Post(_ =>
        {
            Socket? listener = null;
            try
            {
                listener = OpenListener(protocol, localPort);
                published = new PublishedPort(topology, host, port, protocol, listener);
                published.StartLoop();
            }
            catch (Exception ex)
            {
                listener?.Dispose();
                failure = ExceptionDispatchInfo.Capture(ex);
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
        failure?.Throw();
        return published!;
    }

    private static Socket OpenListener(ProtocolType protocol, int localPort)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, localPort);
        var listener = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Udp ? SocketType.Dgram : SocketType.Stream, protocol);
        try
        {
            if (protocol == ProtocolType.Tcp)
            {
                // A fixed local port can be published again while connections of the last run sit in TIME_WAIT.
                // SO_REUSEADDR alone: the BCL's ReuseAddress also sets SO_REUSEPORT, which would let a second
                // listener share the port instead of failing.
                listener.SetRawSocketOption(Interop.Interop.SOL_SOCKET, Interop.Interop.SO_REUSEADDR, BitConverter.GetBytes(1));
                listener.Bind(endpoint);
                listener.Listen(512);
            }
            else
            {
                listener.Bind(endpoint);
            }
            return listener;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            throw new SocketException((int)SocketError.AddressAlreadyInUse, $"Publishing on {endpoint} ({protocol}) failed: the local port is in use.");
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private void StartLoop()
    {
        _ = Protocol == ProtocolType.Udp ? ReceiveLoopAsync() : AcceptLoopAsync();
        _ = Protocol == ProtocolType.Udp ? _udpAssociations.SweepLoopAsync(_stopping.Token) : Task.CompletedTask;
    }

    // Where the proxy connects inside the host, in order: the host's own addresses (a server bound to its
    // topology address or to 0.0.0.0/:: takes the first), then loopback (a server bound to 127.0.0.1 only).
    // UDP learns of a closed port only from an ICMP error, so it keeps to one family.
    private static IPAddress[] TargetsOf(NetHost host, ProtocolType protocol)
    {
        var ipv4 = host.Interfaces.Select(i => i.IPv4?.Address).OfType<IPAddress>().Append(IPAddress.Loopback);
        var ipv6 = host.Interfaces.Select(i => i.IPv6?.Address).OfType<IPAddress>().Append(IPAddress.IPv6Loopback);
        return protocol == ProtocolType.Udp ? [.. ipv4] : [.. ipv4.Concat(ipv6).Distinct()];
    }

    // A socket inside the host, marked. Made on the host's namespace thread without blocking this
    // (pool) thread; the task completes from the root dispatcher.
    private Task<Socket> CreateHostSocketAsync(AddressFamily family, SocketType type, ProtocolType protocol) =>
        _host.Namespace.RunAsync(() =>
        {
            var socket = new Socket(family, type, protocol);
            try
            {
                Interop.Interop.SetMark(socket, Mark, $"marking a published-port socket in host '{_host.Name}' (SO_MARK)");
                return Task.FromResult(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }, _stopping.Token);
}
