using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Isolated.Net;

/// <summary>
/// A built network: hosts (each an anonymous network namespace), switches (bridges in a hidden hub
/// namespace), point-to-point links, addresses and routes. Nothing of it lives in the root namespace or
/// /run/netns, so identical names and addresses in other topologies never collide, and the kernel frees
/// it all when the topology is disposed or the process dies. Made by <see cref="TopologyBuilder"/>.
/// </summary>
public sealed partial class Topology : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, Host> _hosts = new(StringComparer.Ordinal);
    private readonly List<Host> _hostOrder = [];
    private readonly List<Link> _links = [];
    private readonly List<Switch> _switches = [];
    private readonly ILogger? _logger;
    private NetworkNamespace? _hub;
    private int _disposed;

    internal Topology(ILogger? logger) => _logger = logger;

    /// <summary>The host named <paramref name="host"/>.</summary>
    /// <param name="host">A host or router name.</param>
    /// <exception cref="KeyNotFoundException">No such host; the message lists the hosts there are.</exception>
    public Host this[string host] => _hosts.TryGetValue(host, out var found)
        ? found
        : throw new KeyNotFoundException($"The topology has no host '{host}'; it has {string.Join(", ", _hostOrder.Select(h => "'" + h.Name + "'"))}.");

    /// <summary>Every host and router, in the order they were added.</summary>
    public IReadOnlyList<Host> Hosts => _hostOrder;

    /// <summary>Every point-to-point link.</summary>
    public IReadOnlyList<Link> Links => _links;

    /// <summary>Every switch.</summary>
    public IReadOnlyList<Switch> Switches => _switches;

    /// <summary>The switch named <paramref name="name"/>.</summary>
    /// <param name="name">A switch name.</param>
    public Switch GetSwitch(string name) => _switches.FirstOrDefault(s => s.Name == name)
        ?? throw new KeyNotFoundException($"The topology has no switch '{name}'.");

    /// <summary>The (first) link between two hosts, in either order.</summary>
    /// <param name="first">One host.</param>
    /// <param name="second">The other host.</param>
    public Link GetLink(string first, string second) =>
        _links.FirstOrDefault(l => (l.First.Host.Name == first && l.Second.Host.Name == second) || (l.First.Host.Name == second && l.Second.Host.Name == first))
        ?? throw new KeyNotFoundException($"The topology has no link between '{first}' and '{second}'.");

    /// <summary>The primary address of <paramref name="host"/>: its first IPv4 address, else its first IPv6 address.</summary>
    /// <param name="host">A host name.</param>
    public IPAddress AddressOf(string host)
    {
        var found = this[host];
        return found.PrimaryIPv4 ?? found.PrimaryIPv6
            ?? throw new InvalidOperationException($"Host '{host}' has no address: connect it to a switch or link first.");
    }

    /// <summary>The first address of <paramref name="host"/> in <paramref name="family"/>.</summary>
    /// <param name="host">A host name.</param>
    /// <param name="family">InterNetwork or InterNetworkV6.</param>
    public IPAddress AddressOf(string host, AddressFamily family)
    {
        var found = this[host];
        return (family == AddressFamily.InterNetworkV6 ? found.PrimaryIPv6 : found.PrimaryIPv4)
            ?? throw new InvalidOperationException($"Host '{host}' has no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address.");
    }

    /// <summary>
    /// A readable listing of every host — links with state, addresses (like <c>ip -br addr</c>) and
    /// routes — read from the kernel at the time of the call, for diagnostics and failure output.
    /// </summary>
    public string Describe() => TopologyDescription.Describe(this);

    /// <summary>Releases everything: closes every namespace's fd and stops its thread; the kernel frees the rest.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Processes keep a namespace alive: stop them first (SIGTERM, a moment, SIGKILL).
        foreach (var host in _hostOrder)
        {
            host.StopProcesses(TimeSpan.FromSeconds(2));
        }
        foreach (var host in _hostOrder)
        {
            host.Namespace.Dispose();
        }
        _hub?.Dispose();
        ForgetRootLinks();
        if (_logger?.IsEnabled(LogLevel.Debug) == true)
        {
            _logger.LogDebug("Topology of {HostCount} hosts disposed in {Elapsed:F2} ms", _hostOrder.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>Same as <see cref="Dispose"/>; closing fds is fast, nothing is awaited.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    internal static string LinkName(string first, string second) => first + "<->" + second;

    internal NetworkNamespace? Hub => _hub;

    internal void SetHub(NetworkNamespace hub) => _hub = hub;

    internal void AddHost(Host host)
    {
        _hosts.Add(host.Name, host);
        _hostOrder.Add(host);
    }

    internal void AddLink(Link link) => _links.Add(link);

    internal void AddSwitch(Switch sw) => _switches.Add(sw);

    // The /etc/hosts processes of this topology see: loopback names, then every host's addresses.
    internal string HostsFile()
    {
        var text = new System.Text.StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        foreach (var host in _hostOrder)
        {
            foreach (var address in host.Interfaces.SelectMany(i => new[] { i.IPv4?.Address, i.IPv6?.Address }).OfType<IPAddress>())
            {
                text.Append(address).Append('\t').Append(host.Name).Append('\n');
            }
        }
        return text.ToString();
    }

    internal bool TryGetAddresses(string host, out IPAddress[] addresses)
    {
        if (_hosts.TryGetValue(host, out var found))
        {
            addresses = [.. found.Interfaces.Select(i => i.IPv4?.Address).OfType<IPAddress>(),
                         .. found.Interfaces.Select(i => i.IPv6?.Address).OfType<IPAddress>()];
            return true;
        }
        addresses = [];
        return false;
    }

    // Host names of this topology resolve to their primary address; anything else passes through.
    internal string ResolveName(string hostOrAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostOrAddress);
        if (IPAddress.TryParse(hostOrAddress, out _))
        {
            return hostOrAddress;
        }
        return _hosts.ContainsKey(hostOrAddress) ? AddressOf(hostOrAddress).ToString() : hostOrAddress;
    }
}
