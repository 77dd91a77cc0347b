using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>
/// One host of a <see cref="Topology"/>: a network namespace with its interfaces and addresses. Code
/// runs inside with <see cref="Run(Action, CancellationToken)"/> / <see cref="RunAsync(Func{Task}, CancellationToken)"/>;
/// the socket and HTTP factories work from any thread and resolve the topology's host names.
/// </summary>
public sealed partial class NetHost
{
    private readonly List<HostInterface> _interfaces = [];

    internal NetHost(Topology topology, string name, bool isRouter, NetworkNamespace ns)
    {
        Topology = topology;
        Name = name;
        IsRouter = isRouter;
        Namespace = ns;
    }

    /// <summary>The topology this host belongs to.</summary>
    public Topology Topology { get; }

    /// <summary>The host's name in the topology.</summary>
    public string Name { get; }

    /// <summary>True for routers (IPv4 and IPv6 forwarding on).</summary>
    public bool IsRouter { get; }

    /// <summary>The host's network namespace.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>The host's interfaces other than loopback, in connection order.</summary>
    public IReadOnlyList<HostInterface> Interfaces => _interfaces;

    /// <summary>The IPv4 address of the first interface that has one, or null.</summary>
    public IPAddress? PrimaryIPv4 => _interfaces.FirstOrDefault(i => i.IPv4 is not null)?.IPv4?.Address;

    /// <summary>The IPv6 address of the first interface that has one, or null.</summary>
    public IPAddress? PrimaryIPv6 => _interfaces.FirstOrDefault(i => i.IPv6 is not null)?.IPv6?.Address;

    /// <summary>The interface named <paramref name="name"/>.</summary>
    /// <param name="name">An interface name such as "eth0".</param>
    public HostInterface GetInterface(string name) =>
        _interfaces.FirstOrDefault(i => i.Name == name)
        ?? throw new KeyNotFoundException($"Host '{Name}' has no interface '{name}'; it has {string.Join(", ", _interfaces.Select(i => i.Name))}.");

    /// <summary>Runs <paramref name="body"/> inside the host's namespace. See <see cref="NetworkNamespace.Run(Action, CancellationToken)"/>.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="cancellationToken">Cancels while the body is still queued.</param>
    public void Run(Action body, CancellationToken cancellationToken = default) => Namespace.Run(body, cancellationToken);

    /// <summary>Runs <paramref name="body"/> inside the host's namespace and returns its result.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="cancellationToken">Cancels while the body is still queued.</param>
    /// <typeparam name="T">The result type.</typeparam>
    public T Run<T>(Func<T> body, CancellationToken cancellationToken = default) => Namespace.Run(body, cancellationToken);

    /// <summary>Runs an async body inside the host's namespace; its continuations stay there.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="cancellationToken">Cancels while the body is still queued.</param>
    public Task RunAsync(Func<Task> body, CancellationToken cancellationToken = default) => Namespace.RunAsync(body, cancellationToken);

    /// <summary>Runs an async body inside the host's namespace and returns its result.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="cancellationToken">Cancels while the body is still queued.</param>
    /// <typeparam name="T">The result type.</typeparam>
    public Task<T> RunAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken = default) => Namespace.RunAsync(body, cancellationToken);

    /// <summary>Creates a socket inside the host's namespace (usable from any thread).</summary>
    /// <param name="addressFamily">The address family.</param>
    /// <param name="socketType">The socket type.</param>
    /// <param name="protocolType">The protocol.</param>
    public Socket CreateSocket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType) =>
        Namespace.CreateSocket(addressFamily, socketType, protocolType);

    /// <summary>Creates a listening TCP socket inside the host's namespace.</summary>
    /// <param name="endpoint">Where to listen, e.g. <c>new IPEndPoint(IPAddress.Any, 8080)</c>.</param>
    /// <param name="backlog">The accept backlog.</param>
    public Socket Listen(IPEndPoint endpoint, int backlog = 512) => Namespace.Listen(endpoint, backlog);

    /// <summary>
    /// Connects TCP from inside the host to another host of the topology (by name) or to an address.
    /// A name resolves as <see cref="ResolveAsync"/> does (the topology's family order); the addresses
    /// are raced Happy Eyeballs style (RFC 8305): the preferred family first, the other after 250 ms or
    /// on failure, so a server listening on one family only is reached either way.
    /// </summary>
    /// <param name="hostOrAddress">A host name of this topology (or <c>NAME.ipv4</c>, <c>NAME.ipv6</c>), an IP address, or another name.</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <exception cref="ArgumentException"><paramref name="hostOrAddress"/> is null or empty.</exception>
    /// <exception cref="SocketException">The name does not resolve, or every address failed (the first address's failure).</exception>
    public async Task<Socket> ConnectTcpAsync(string hostOrAddress, int port, CancellationToken cancellationToken = default)
    {
        var addresses = await ResolveAsync(hostOrAddress, cancellationToken).ConfigureAwait(false);
        return await Namespace.ConnectTcpAsync(addresses, port, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An HTTP handler whose connections start inside this host and that resolves the topology's host
    /// names (http://server:8080/ works), from any thread.
    /// </summary>
    public SocketsHttpHandler CreateHttpMessageHandler() => new()
    {
        UseProxy = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = await ConnectTcpAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };

    /// <summary>An <see cref="HttpClient"/> over <see cref="CreateHttpMessageHandler"/>.</summary>
    public HttpClient CreateHttpClient() => new(CreateHttpMessageHandler(), disposeHandler: true);

    /// <summary>
    /// Resolves a host name of this topology to its first address in the order of
    /// <see cref="Topology.AddressPreference"/> (<c>NAME.ipv4</c>, <c>NAME.ipv6</c>: that family), or parses an IP address.
    /// </summary>
    /// <param name="hostOrAddress">A host name of this topology, or an IP address.</param>
    /// <exception cref="FormatException">Neither a topology name nor an IP address.</exception>
    /// <exception cref="InvalidOperationException">The host has no address (of that family).</exception>
    public IPAddress Resolve(string hostOrAddress) => IPAddress.Parse(Topology.ResolveName(hostOrAddress));

    /// <summary>A readable listing of this host's links, addresses and routes, read from the kernel.</summary>
    public string Describe() => TopologyDescription.DescribeHost(this);

    /// <inheritdoc />
    public override string ToString() => $"host '{Name}'";

    internal void AddInterface(HostInterface hostInterface) => _interfaces.Add(hostInterface);

    internal void SortInterfaces(List<string> order) => _interfaces.Sort((x, y) => order.IndexOf(x.Name).CompareTo(order.IndexOf(y.Name)));
}
