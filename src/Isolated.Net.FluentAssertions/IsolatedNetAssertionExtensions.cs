using System.Diagnostics.Contracts;
using Isolated.Net;
using Isolated.Net.FluentAssertions;

namespace FluentAssertions;

/// <summary>
/// <c>Should()</c> for Isolated.Net's model: hosts, links and interfaces. In the <c>FluentAssertions</c>
/// namespace so the usual <c>using FluentAssertions;</c> finds it.
/// </summary>
public static class IsolatedNetAssertionExtensions
{
    /// <summary>Starts assertions on a host: <c>Reach</c>, <c>NotReach</c>, <c>HaveAddress</c>.</summary>
    /// <param name="host">The host under test.</param>
    [Pure]
    public static HostAssertions Should(this NetHost host) => new(host);

    /// <summary>Starts assertions on a point-to-point link: <c>BeUp</c>, <c>BeDown</c>.</summary>
    /// <param name="link">The link under test.</param>
    [Pure]
    public static LinkAssertions Should(this Link link) => new(link);

    /// <summary>Starts assertions on a host's interface: <c>BeUp</c>, <c>BeDown</c>.</summary>
    /// <param name="hostInterface">The interface under test.</param>
    [Pure]
    public static HostInterfaceAssertions Should(this HostInterface hostInterface) => new(hostInterface);
}
