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
    private readonly Dictionary<string, NetHost> _hosts = new(StringComparer.Ordinal);
    private readonly List<NetHost> _hostOrder = [];
    private readonly List<Link> _links = [];
    private readonly List<NetSwitch> _switches = [];
    private readonly ILogger? _logger;
    private NetworkNamespace? _hub;
    private int _disposed;

    internal Topology(ILogger? logger, AddressPreference addressPreference = AddressPreference.IPv4First)
    {
        _logger = logger;
        AddressPreference = addressPreference;
    }

    /// <summary>
    /// Which family host names resolve to first, inside hosts and in-process; set with
    /// <see cref="TopologyBuilder.PreferIPv6"/> or <see cref="TopologyBuilder.WithAddressPreference"/>.
    /// </summary>
    public AddressPreference AddressPreference { get; }

    /// <summary>The host named <paramref name="host"/>.</summary>
    /// <param name="host">A host or router name.</param>
    /// <exception cref="KeyNotFoundException">No such host; the message lists the hosts there are.</exception>
    public NetHost this[string host] => _hosts.TryGetValue(host, out var found)
        ? found
        : throw new KeyNotFoundException($"The topology has no host '{host}'; it has {string.Join(", ", _hostOrder.Select(h => "'" + h.Name + "'"))}.");

    /// <summary>Every host and router, in the order they were added.</summary>
    public IReadOnlyList<NetHost> Hosts => _hostOrder;

    /// <summary>Every point-to-point link.</summary>
    public IReadOnlyList<Link> Links => _links;

    /// <summary>Every switch.</summary>
    public IReadOnlyList<NetSwitch> Switches => _switches;

    /// <summary>The switch named <paramref name="name"/>.</summary>
    /// <param name="name">A switch name.</param>
    public NetSwitch GetSwitch(string name) => _switches.FirstOrDefault(s => s.Name == name)
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
        DisposePublishedPorts();
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

    internal void AddHost(NetHost host)
    {
        _hosts.Add(host.Name, host);
        _hostOrder.Add(host);
    }

    internal void AddLink(Link link) => _links.Add(link);

    internal void AddSwitch(NetSwitch sw) => _switches.Add(sw);

    internal const string IPv4NameSuffix = ".ipv4";
    internal const string IPv6NameSuffix = ".ipv6";

    // The /etc/hosts processes of this topology see: loopback names, then every host's addresses, the
    // preferred family first, under its name and its per-family name (NAME.ipv4, NAME.ipv6). glibc sorts
    // getaddrinfo results by /etc/gai.conf regardless of this order (GaiConf below); the order serves
    // resolvers that do not sort.
    internal string HostsFile()
    {
        var text = new System.Text.StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        foreach (var host in _hostOrder)
        {
            foreach (var address in OrderedAddresses(host))
            {
                var suffix = address.AddressFamily == AddressFamily.InterNetwork ? IPv4NameSuffix : IPv6NameSuffix;
                text.Append(address).Append('\t').Append(host.Name).Append(' ').Append(host.Name).Append(suffix).Append('\n');
            }
        }
        return text.ToString();
    }

    // The /etc/gai.conf processes of this topology see. Any precedence line makes glibc drop its whole
    // default table, so this is RFC 6724's table (section 2.1) with one change: IPv4 (::ffff:0:0/96)
    // above everything for IPv4First, or the topology's ULA prefix (fc00::/7) above IPv4 for IPv6First
    // (RFC 6724 itself ranks ULA below IPv4, glibc's older default above it).
    internal string GaiConf()
    {
        var (ipv4, ula) = AddressPreference == AddressPreference.IPv4First ? (100, 3) : (35, 45);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"""
            # Written by Isolated.Net for this topology ({AddressPreference}); the machine's /etc/gai.conf is untouched.
            precedence ::1/128 50
            precedence ::/0 40
            precedence ::ffff:0:0/96 {ipv4}
            precedence 2002::/16 30
            precedence 2001::/32 5
            precedence fc00::/7 {ula}
            precedence ::/96 1
            precedence fec0::/10 1
            precedence 3ffe::/16 1

            """);
    }

    // A topology name's addresses in the topology's order: NAME gives both families, the preferred one
    // first; NAME.ipv4 and NAME.ipv6 give one family.
    internal bool TryGetAddresses(string name, out IPAddress[] addresses)
    {
        addresses = [];
        if (_hosts.TryGetValue(name, out var found))
        {
            addresses = [.. OrderedAddresses(found)];
            return true;
        }
        foreach (var (suffix, family) in new[] { (IPv4NameSuffix, AddressFamily.InterNetwork), (IPv6NameSuffix, AddressFamily.InterNetworkV6) })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && _hosts.TryGetValue(name[..^suffix.Length], out found))
            {
                addresses = [.. OrderedAddresses(found).Where(a => a.AddressFamily == family)];
                return true;
            }
        }
        return false;
    }

    private IEnumerable<IPAddress> OrderedAddresses(NetHost host)
    {
        var ipv4 = host.Interfaces.Select(i => i.IPv4?.Address).OfType<IPAddress>();
        var ipv6 = host.Interfaces.Select(i => i.IPv6?.Address).OfType<IPAddress>();
        return AddressPreference == AddressPreference.IPv4First ? ipv4.Concat(ipv6) : ipv6.Concat(ipv4);
    }

    // Host names of this topology resolve to their first address in the topology's order; anything else passes through.
    internal string ResolveName(string hostOrAddress)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostOrAddress);
        if (IPAddress.TryParse(hostOrAddress, out _) || !TryGetAddresses(hostOrAddress, out var addresses))
        {
            return hostOrAddress;
        }
        return addresses.Length > 0
            ? addresses[0].ToString()
            : throw new InvalidOperationException($"Host name '{hostOrAddress}' has no address: connect the host to a switch or link (with that family) first.");
    }
}
