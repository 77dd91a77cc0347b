using System.Net;
using System.Net.Sockets;
using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

// Sockets, listeners and HTTP created inside the namespace.
public sealed partial class NetworkNamespace
{
    /// <summary>
    /// Creates a socket inside the namespace (the socket() call happens on the namespace thread; a
    /// socket's namespace is fixed then). The socket can be used from any thread afterwards.
    /// </summary>
    /// <param name="addressFamily">The address family.</param>
    /// <param name="socketType">The socket type.</param>
    /// <param name="protocolType">The protocol.</param>
    public Socket CreateSocket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) =>
        Run(() => new Socket(addressFamily, socketType, protocolType));

    /// <summary>
    /// Creates a TCP socket inside the namespace, bound to <paramref name="endpoint"/> and listening.
    /// Bound to <see cref="IPAddress.IPv6Any"/> it is dual-mode and accepts IPv4 connections too.
    /// </summary>
    /// <param name="endpoint">Where to listen, e.g. <c>new IPEndPoint(IPAddress.Loopback, 8080)</c>; port 0 picks one.</param>
    /// <param name="backlog">The accept backlog.</param>
    public Socket Listen(IPEndPoint endpoint, int backlog = 512)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Run(() =>
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                if (endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }
                socket.Bind(endpoint);
                socket.Listen(backlog);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
    }

    /// <summary>
    /// Creates and starts a <see cref="TcpListener"/> inside the namespace. Do not Stop() and Start()
    /// it again: TcpListener makes a new socket on restart, in whatever namespace the caller is in.
    /// </summary>
    /// <param name="endpoint">Where to listen; port 0 picks one.</param>
    public TcpListener CreateTcpListener(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Run(() =>
        {
            var listener = new TcpListener(endpoint);
            listener.Start();
            return listener;
        });
    }

    /// <summary>
    /// An <see cref="HttpMessageHandler"/> whose connections are opened from sockets made inside this
    /// namespace, so it works from any thread (thread pool, ConfigureAwait(false), BCL internals).
    /// </summary>
    public SocketsHttpHandler CreateHttpMessageHandler() => new()
    {
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };

    /// <summary>An <see cref="HttpClient"/> over <see cref="CreateHttpMessageHandler"/>: its connections start inside the namespace.</summary>
    public HttpClient CreateHttpClient() => new(CreateHttpMessageHandler(), disposeHandler: true);

    /// <summary>
    /// Connects a TCP stream from inside the namespace to <paramref name="host"/>:<paramref name="port"/>.
    /// A host name is resolved first (through the process's resolver), then the addresses are raced
    /// Happy Eyeballs style (RFC 8305): the first address's family first, the other family after 250 ms or
    /// on failure; the first connection wins and the others are closed.
    /// </summary>
    /// <param name="host">An IP address or host name.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null or empty.</exception>
    /// <exception cref="SocketException">The name does not resolve, or every address failed (the first address's failure).</exception>
    public async Task<Socket> ConnectTcpAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        IPAddress[] addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        return await ConnectTcpAsync(addresses, port, cancellationToken).ConfigureAwait(false);
    }

    // Sockets are made on the namespace thread (CreateSocket), so the race may run on any thread.
    internal Task<Socket> ConnectTcpAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken) =>
        HappyEyeballs.ConnectAsync(addresses, async (address, token) =>
        {
            var socket = CreateSocket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.NoDelay = true;
                await socket.ConnectAsync(new IPEndPoint(address, port), token).ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }, cancellationToken);

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = await ConnectTcpAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
