using System.Net;
using System.Net.Sockets;
using FluentAssertions;
using FluentAssertions.Execution;
using FluentAssertions.Primitives;

namespace Isolated.Net.FluentAssertions;

/// <summary>
/// Assertions on a <see cref="NetHost"/>, checked against the kernel: reachability by a real exchange
/// from inside the host's namespace, addresses by an rtnetlink dump of it. Made by <c>host.Should()</c>.
/// </summary>
public sealed class HostAssertions : ReferenceTypeAssertions<NetHost, HostAssertions>
{
    /// <summary>Wraps <paramref name="subject"/>; use <c>host.Should()</c>.</summary>
    /// <param name="subject">The host under test.</param>
    public HostAssertions(NetHost subject)
        : base(subject)
    {
    }

    /// <inheritdoc />
    protected override string Identifier => "host";

    /// <summary>Asserts that a TCP handshake from this host to <paramref name="target"/>:<paramref name="port"/> completes (<see cref="NetworkProbe.Tcp"/>, default timeout).</summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> Reach(NetHost target, int port, string because = "", params object[] becauseArgs) =>
        Reach(target, port, NetworkProbe.Tcp, because, becauseArgs);

    /// <summary>
    /// Asserts that <paramref name="probe"/> gets through from this host to <paramref name="target"/>:<paramref name="port"/>:
    /// for TCP a completed handshake, for UDP the probe datagram arriving at a socket the assertion binds
    /// inside the target (see <see cref="NetworkProbe.Udp"/>). The failure message names both hosts, their
    /// addresses and the errno seen, or the timeout.
    /// </summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="probe">Protocol, address family and timeout.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> Reach(NetHost target, int port, NetworkProbe probe, string because = "", params object[] becauseArgs) =>
        ReachAsync(target, port, probe, because, becauseArgs).GetAwaiter().GetResult();

    /// <summary>Asserts that a TCP handshake from this host to <paramref name="target"/>:<paramref name="port"/> does not complete within the default timeout.</summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> NotReach(NetHost target, int port, string because = "", params object[] becauseArgs) =>
        NotReach(target, port, NetworkProbe.Tcp, because, becauseArgs);

    /// <summary>
    /// Asserts that <paramref name="probe"/> does not get through from this host to
    /// <paramref name="target"/>:<paramref name="port"/> within its timeout. A TCP connect refused by the
    /// target (nothing listens) counts as not reaching; listen first to assert the network itself blocks.
    /// </summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="probe">Protocol, address family and timeout.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> NotReach(NetHost target, int port, NetworkProbe probe, string because = "", params object[] becauseArgs) =>
        NotReachAsync(target, port, probe, because, becauseArgs).GetAwaiter().GetResult();

    /// <summary>The awaitable form of <see cref="Reach(NetHost, int, NetworkProbe, string, object[])"/>: no thread blocks while the probe waits.</summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="probe">Protocol, address family and timeout; null for <see cref="NetworkProbe.Tcp"/>.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public Task<AndConstraint<HostAssertions>> ReachAsync(NetHost target, int port, NetworkProbe? probe = null, string because = "", params object[] becauseArgs) =>
        AssertReachAsync(expectReach: true, target, port, probe ?? NetworkProbe.Tcp, because, becauseArgs);

    /// <summary>The awaitable form of <see cref="NotReach(NetHost, int, NetworkProbe, string, object[])"/>.</summary>
    /// <param name="target">A host of the same topology.</param>
    /// <param name="port">The target port, 1–65535.</param>
    /// <param name="probe">Protocol, address family and timeout; null for <see cref="NetworkProbe.Tcp"/>.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public Task<AndConstraint<HostAssertions>> NotReachAsync(NetHost target, int port, NetworkProbe? probe = null, string because = "", params object[] becauseArgs) =>
        AssertReachAsync(expectReach: false, target, port, probe ?? NetworkProbe.Tcp, because, becauseArgs);

    /// <summary>
    /// Asserts that the kernel lists <paramref name="address"/> on one of this host's interfaces:
    /// "10.0.1.1" matches the address with any prefix, "10.0.1.1/24" also the prefix length.
    /// </summary>
    /// <param name="address">An IP address, optionally with "/prefix".</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    /// <exception cref="FormatException"><paramref name="address"/> is not an address.</exception>
    public AndConstraint<HostAssertions> HaveAddress(string address, string because = "", params object[] becauseArgs) =>
        AssertAddress(expectPresent: true, address, because, becauseArgs);

    /// <summary>Asserts that the kernel lists <paramref name="address"/> (any prefix) on one of this host's interfaces.</summary>
    /// <param name="address">An IP address.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> HaveAddress(IPAddress address, string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(address);
        return AssertAddress(expectPresent: true, address.ToString(), because, becauseArgs);
    }

    /// <summary>Asserts that the kernel does not list <paramref name="address"/> (with that prefix, if given) on any of this host's interfaces.</summary>
    /// <param name="address">An IP address, optionally with "/prefix".</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    /// <exception cref="FormatException"><paramref name="address"/> is not an address.</exception>
    public AndConstraint<HostAssertions> NotHaveAddress(string address, string because = "", params object[] becauseArgs) =>
        AssertAddress(expectPresent: false, address, because, becauseArgs);

    /// <summary>Asserts that the kernel does not list <paramref name="address"/> (any prefix) on any of this host's interfaces.</summary>
    /// <param name="address">An IP address.</param>
    /// <param name="because">A phrase explaining why the assertion is needed.</param>
    /// <param name="becauseArgs">Values formatted into <paramref name="because"/>.</param>
    public AndConstraint<HostAssertions> NotHaveAddress(IPAddress address, string because = "", params object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(address);
        return AssertAddress(expectPresent: false, address.ToString(), because, becauseArgs);
    }

    private async Task<AndConstraint<HostAssertions>> AssertReachAsync(bool expectReach, NetHost target, int port, NetworkProbe probe, string because, object[] becauseArgs)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (!NotNull(because, becauseArgs))
        {
            return new AndConstraint<HostAssertions>(this);
        }
        if (!ReferenceEquals(target.Topology, Subject.Topology))
        {
            throw new ArgumentException($"Host '{target.Name}' belongs to another topology than host '{Subject.Name}': a probe stays inside one topology, whose addresses may repeat in others.", nameof(target));
        }

        var outcome = await ReachProbe.RunAsync(Subject, target, port, probe).ConfigureAwait(false);
        string protocol = probe.Protocol == ProbeProtocol.Tcp ? "TCP" : "UDP";
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(outcome.Reached == expectReach)
            .FailWith($"Expected host '{Subject.Name}' ({Describe(outcome.SourceAddress, outcome.TargetAddress.AddressFamily)}) {(expectReach ? "to reach" : "not to reach")} "
                + $"host '{target.Name}' ({outcome.TargetAddress}) on {protocol} port {port}{{reason}}, but {outcome.Observation}.");
        return new AndConstraint<HostAssertions>(this);
    }

    private AndConstraint<HostAssertions> AssertAddress(bool expectPresent, string address, string because, object[] becauseArgs)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        IPAddress expected;
        int? prefix = null;
        if (address.Contains('/', StringComparison.Ordinal))
        {
            var parsed = InterfaceAddress.Parse(address);
            (expected, prefix) = (parsed.Address, parsed.PrefixLength);
        }
        else if (!IPAddress.TryParse(address, out expected!))
        {
            throw new FormatException($"'{address}' is not an IP address such as 10.0.1.1, fd7a:15e:0:1::1 or 10.0.1.1/24.");
        }
        if (!NotNull(because, becauseArgs))
        {
            return new AndConstraint<HostAssertions>(this);
        }

        var listed = Subject.Namespace.GetAddresses();
        bool present = listed.Any(a => a.Address.Equals(expected) && (prefix is null || a.PrefixLength == prefix));
        Execute.Assertion
            .BecauseOf(because, becauseArgs)
            .ForCondition(present == expectPresent)
            .FailWith($"Expected host '{Subject.Name}' {(expectPresent ? "to have" : "not to have")} address {address}{{reason}}, but the kernel lists {ListAddresses(listed)}.");
        return new AndConstraint<HostAssertions>(this);
    }

    private bool NotNull(string because, object[] becauseArgs)
    {
        if (Subject is null)
        {
            Execute.Assertion.BecauseOf(because, becauseArgs).FailWith("Expected a host{reason}, but found <null>.");
            return false;
        }
        return true;
    }

    private static string Describe(IPAddress? address, AddressFamily family) =>
        address?.ToString() ?? (family == AddressFamily.InterNetworkV6 ? "no IPv6 address" : "no IPv4 address");

    // "lo 127.0.0.1/8, ::1/128; eth0 10.0.1.1/24, ...", like ip -br addr.
    private static string ListAddresses(IReadOnlyList<AddressInfo> addresses) => addresses.Count == 0
        ? "no address at all"
        : string.Join("; ", addresses
            .GroupBy(a => (a.InterfaceIndex, a.InterfaceName))
            .OrderBy(g => g.Key.InterfaceIndex)
            .Select(g => $"{g.Key.InterfaceName ?? "#" + g.Key.InterfaceIndex} {string.Join(", ", g.Select(a => a.Address + "/" + a.PrefixLength))}"));
}
