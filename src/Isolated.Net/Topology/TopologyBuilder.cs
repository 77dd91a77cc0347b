using System.Collections.Immutable;
using Microsoft.Extensions.Logging;

namespace Isolated.Net;

/// <summary>
/// Describes a network of hosts, switches, point-to-point links and routers, then builds it as
/// anonymous network namespaces. The builder is immutable: every method returns a new builder, so a
/// base description can be shared and extended. <see cref="Build()"/> validates the whole description
/// first and throws <see cref="TopologyValidationException"/> before touching the kernel.
/// </summary>
/// <example>
/// <code>
/// await using var net = new TopologyBuilder()
///     .AddSwitch("lan")
///     .AddHost("server").Connect("server", "lan")
///     .AddHost("client").Connect("client", "lan")
///     .Build();
/// var address = net.AddressOf("server");   // 10.0.1.1
/// </code>
/// </example>
public sealed partial class TopologyBuilder
{
    /// <summary>The default IPv4 pool: each switch or link gets the next /24 (10.0.1.0/24, 10.0.2.0/24, …).</summary>
    public const string DefaultIPv4Pool = "10.0.0.0/16";

    /// <summary>The default IPv6 pool (a ULA /48): each switch or link gets the next /64.</summary>
    public const string DefaultIPv6Pool = "fd7a:15e:0::/48";

    private readonly TopologySpec _spec;

    /// <summary>Starts an empty description with the default address pools, IPv6 on and default routes on.</summary>
    public TopologyBuilder()
        : this(TopologySpec.Empty)
    {
    }

    private TopologyBuilder(TopologySpec spec) => _spec = spec;

    internal TopologySpec Spec => _spec;

    /// <summary>Adds a host: a network namespace of its own with loopback up.</summary>
    /// <param name="name">Host name: 1–63 letters, digits, '-', '_' or '.', starting with a letter or digit.</param>
    public TopologyBuilder AddHost(string name) => AddHostCore(name, isRouter: false);

    /// <summary>
    /// Adds a router: a host with IPv4 and IPv6 forwarding on. Hosts whose only router neighbour is this
    /// one get a default route through it.
    /// </summary>
    /// <param name="name">Router name, same rules as host names.</param>
    public TopologyBuilder AddRouter(string name) => AddHostCore(name, isRouter: true);

    /// <summary>Adds a switch: a Linux bridge in the topology's hidden hub namespace (never in the root namespace).</summary>
    /// <param name="name">Switch name: a valid interface name of at most 15 bytes.</param>
    /// <param name="configure">Optional subnet and MTU settings.</param>
    public TopologyBuilder AddSwitch(string name, Action<SwitchOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var options = new SwitchOptions();
        configure?.Invoke(options);
        return With(_spec with
        {
            Segments = _spec.Segments.Add(new SegmentSpec(name, SegmentKind.Switch, options.IPv4Subnet, options.IPv6Subnet, options.Mtu)),
        });
    }

    /// <summary>Plugs <paramref name="host"/> into switch <paramref name="switchName"/> with a new interface.</summary>
    /// <param name="host">A host or router added before or after this call.</param>
    /// <param name="switchName">A switch added before or after this call.</param>
    /// <param name="configure">Optional interface name and addresses.</param>
    public TopologyBuilder Connect(string host, string switchName, Action<InterfaceOptions>? configure = null) =>
        ConnectCore(host, switchName, configure, impairment: null);

    /// <summary>
    /// Plugs <paramref name="host"/> into switch <paramref name="switchName"/> through an impaired
    /// connection: the host's interface and the switch port are TAP devices joined by the same forwarder
    /// as <see cref="ImpairedLink"/>'s, so one host's access to a LAN can be slow or lossy while the
    /// others' is not. A is the host, B the switch. Reach it through <see cref="HostInterface.Forwarder"/>.
    /// </summary>
    /// <param name="host">A host or router added before or after this call.</param>
    /// <param name="switchName">A switch added before or after this call.</param>
    /// <param name="impair">The seed and each direction's settings (A→B: from the host to the switch).</param>
    /// <param name="configure">Optional interface name and addresses.</param>
    public TopologyBuilder ConnectImpaired(string host, string switchName, Action<ImpairedLinkOptions>? impair = null, Action<InterfaceOptions>? configure = null) =>
        ConnectCore(host, switchName, configure, ImpairmentSpec.From(impair));

    private TopologyBuilder ConnectCore(string host, string switchName, Action<InterfaceOptions>? configure, ImpairmentSpec? impairment)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(switchName);
        var options = new InterfaceOptions();
        configure?.Invoke(options);
        return With(_spec with
        {
            Attachments = _spec.Attachments.Add(new AttachmentSpec(host, switchName, options.Name, options.IPv4, options.IPv6, impairment)),
        });
    }

    /// <summary>Joins two hosts with a point-to-point link (a veth pair), each end in its host's namespace.</summary>
    /// <param name="first">One host.</param>
    /// <param name="second">The other host.</param>
    /// <param name="configure">Optional subnet, MTU and per-end interface settings.</param>
    public TopologyBuilder Link(string first, string second, Action<LinkOptions>? configure = null) =>
        LinkCore(first, second, configure, impairment: null);

    /// <summary>
    /// Joins two hosts with an impaired point-to-point link: each end is a TAP device born in its host's
    /// namespace, and a forwarder in this process moves every Ethernet frame between them (ARP, IPv4,
    /// IPv6, TCP, UDP alike), applying delay, jitter, loss, duplication, reordering and a rate limit per
    /// direction, all from a seeded generator so a run replays exactly. Works on any kernel with TUN/TAP;
    /// no sch_netem needed. Change the settings at run time through <see cref="Link.Forwarder"/>.
    /// </summary>
    /// <param name="first">Host A.</param>
    /// <param name="second">Host B.</param>
    /// <param name="impair">The seed and each direction's settings; none impairs nothing (yet).</param>
    /// <param name="configure">Optional subnet, MTU and per-end interface settings, as for <see cref="Link"/>.</param>
    /// <example>
    /// <code>
    /// .ImpairedLink("a", "b", o =>
    /// {
    ///     o.AtoB.Delay = TimeSpan.FromMilliseconds(50);
    ///     o.AtoB.Loss = 0.01;
    ///     o.BtoA.RateBitsPerSecond = 10_000_000;
    /// })
    /// </code>
    /// </example>
    public TopologyBuilder ImpairedLink(string first, string second, Action<ImpairedLinkOptions>? impair = null, Action<LinkOptions>? configure = null) =>
        LinkCore(first, second, configure, ImpairmentSpec.From(impair));

    private TopologyBuilder LinkCore(string first, string second, Action<LinkOptions>? configure, ImpairmentSpec? impairment)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var options = new LinkOptions();
        configure?.Invoke(options);
        var name = Topology.LinkName(first, second);
        int same = _spec.Segments.Count(s => s.Kind == SegmentKind.Link && s.Name.StartsWith(name, StringComparison.Ordinal));
        if (same > 0)
        {
            name += "#" + (same + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return With(_spec with
        {
            Segments = _spec.Segments.Add(new SegmentSpec(name, SegmentKind.Link, options.IPv4Subnet, options.IPv6Subnet, options.Mtu, impairment)),
            Attachments = _spec.Attachments
                .Add(new AttachmentSpec(first, name, options.First.Name, options.First.IPv4, options.First.IPv6))
                .Add(new AttachmentSpec(second, name, options.Second.Name, options.Second.IPv4, options.Second.IPv6)),
        });
    }

    /// <summary>
    /// Adds a route on <paramref name="host"/>: <paramref name="destination"/> ("10.0.2.0/24", "default",
    /// "::/0") through <paramref name="via"/>, a neighbour host's name or a gateway address on one of
    /// the host's segments.
    /// </summary>
    /// <param name="host">The host the route is added to.</param>
    /// <param name="destination">A prefix, or "default" (IPv4 and, with IPv6 on, IPv6).</param>
    /// <param name="via">A neighbouring host's name or a gateway IP address.</param>
    public TopologyBuilder AddRoute(string host, string destination, string via)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(via);
        return With(_spec with { Routes = _spec.Routes.Add(new StaticRouteSpec(host, destination, via)) });
    }

    /// <summary>Sets the IPv4 pool automatic subnets are taken from (/24 each); default <see cref="DefaultIPv4Pool"/>.</summary>
    /// <param name="cidr">An IPv4 prefix of length 8 to 24.</param>
    public TopologyBuilder WithIPv4Pool(string cidr)
    {
        ArgumentException.ThrowIfNullOrEmpty(cidr);
        return With(_spec with { IPv4Pool = cidr });
    }

    /// <summary>Sets the IPv6 pool automatic subnets are taken from (/64 each); default <see cref="DefaultIPv6Pool"/>.</summary>
    /// <param name="cidr">An IPv6 prefix of length 16 to 64.</param>
    public TopologyBuilder WithIPv6Pool(string cidr)
    {
        ArgumentException.ThrowIfNullOrEmpty(cidr);
        return With(_spec with { IPv6Pool = cidr });
    }

    /// <summary>Assigns no automatic IPv6 addresses (explicit ones are still honoured).</summary>
    public TopologyBuilder WithoutIPv6() => With(_spec with { IPv6 = false });

    /// <summary>
    /// Topology host names resolve IPv6 first, inside hosts and in-process; the default is
    /// <see cref="AddressPreference.IPv4First"/>. Same as <c>WithAddressPreference(AddressPreference.IPv6First)</c>.
    /// </summary>
    public TopologyBuilder PreferIPv6() => WithAddressPreference(AddressPreference.IPv6First);

    /// <summary>
    /// Sets which family topology host names resolve to first: in every program started inside a host
    /// (a private <c>/etc/gai.conf</c> and <c>/etc/hosts</c>) and in-process. <c>NAME.ipv4</c> and
    /// <c>NAME.ipv6</c> always resolve to one family only.
    /// </summary>
    /// <param name="preference">IPv4First (default) or IPv6First.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preference"/> is not a defined value.</exception>
    public TopologyBuilder WithAddressPreference(AddressPreference preference)
    {
        if (!Enum.IsDefined(preference))
        {
            throw new ArgumentOutOfRangeException(nameof(preference), preference, "Use AddressPreference.IPv4First or AddressPreference.IPv6First.");
        }
        return With(_spec with { AddressPreference = preference });
    }

    /// <summary>Adds no automatic default routes; only routes given with <see cref="AddRoute"/> exist.</summary>
    public TopologyBuilder WithoutDefaultRoutes() => With(_spec with { DefaultRoutes = false });

    /// <summary>Logs build and teardown at Debug level, failures at Warning.</summary>
    /// <param name="logger">The logger to use.</param>
    public TopologyBuilder WithLogger(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return With(_spec with { Logger = logger });
    }

    /// <summary>
    /// Checks the whole description and returns without touching the kernel; throws
    /// <see cref="TopologyValidationException"/> listing every problem.
    /// </summary>
    public void Validate() => TopologyPlan.Create(_spec);

    /// <summary>
    /// Validates, then creates every namespace, switch, link, address and route. If anything fails
    /// midway, everything already made is released before the exception propagates.
    /// </summary>
    public Topology Build()
    {
        var plan = TopologyPlan.Create(_spec);
        return TopologyFactory.Build(plan, _spec.Logger, _spec.FailureInjection, _spec.AddressPreference, _spec.Pool).WithSource(_spec);
    }

    /// <summary>Same as <see cref="Build()"/>, off the calling thread.</summary>
    /// <param name="cancellationToken">Cancels before the build starts.</param>
    public Task<Topology> BuildAsync(CancellationToken cancellationToken = default)
    {
        var plan = TopologyPlan.Create(_spec);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(TopologyFactory.Build(plan, _spec.Logger, _spec.FailureInjection, _spec.AddressPreference, _spec.Pool).WithSource(_spec));
    }

    /// <summary>
    /// Takes the topology's namespaces from <paramref name="pool"/> where it has them ready, so
    /// <see cref="Build()"/> does not wait for the kernel to create them. Each pooled namespace is fresh
    /// and used once (see <see cref="NamespacePool"/>); the topology owns and disposes it.
    /// </summary>
    /// <param name="pool">A pool created outside any namespace, alive while builds use it.</param>
    public TopologyBuilder UsePool(NamespacePool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return With(_spec with { Pool = pool });
    }

    // For tests: throw at the named build step to prove a failure midway leaves nothing behind.
    internal TopologyBuilder WithFailureInjection(Func<string, bool> failAt) => With(_spec with { FailureInjection = failAt });

    private TopologyBuilder AddHostCore(string name, bool isRouter)
    {
        ArgumentNullException.ThrowIfNull(name);
        return With(_spec with { Hosts = _spec.Hosts.Add(new HostSpec(name, isRouter)) });
    }

    private static TopologyBuilder With(TopologySpec spec) => new(spec);
}

internal enum SegmentKind
{
    Switch,
    Link,
}

internal sealed record HostSpec(string Name, bool IsRouter);

internal sealed record SegmentSpec(string Name, SegmentKind Kind, string? IPv4Subnet, string? IPv6Subnet, int? Mtu, ImpairmentSpec? Impairment = null);

// An impaired link's seed and per-direction settings, copied when the builder method ran.
internal sealed record ImpairmentSpec(ulong Seed, bool RealTimePriority, ImpairmentSettings AtoB, ImpairmentSettings BtoA, int TraceCapacity = 0)
{
    public static ImpairmentSpec From(Action<ImpairedLinkOptions>? impair)
    {
        var options = new ImpairedLinkOptions();
        impair?.Invoke(options);
        return new ImpairmentSpec(options.Seed, options.RealTimePriority, options.AtoB.Clone(), options.BtoA.Clone(), options.TraceCapacity);
    }
}

internal sealed record AttachmentSpec(string Host, string Segment, string? InterfaceName, string? IPv4, string? IPv6, ImpairmentSpec? Impairment = null);

internal sealed record StaticRouteSpec(string Host, string Destination, string Via);

internal sealed partial record TopologySpec(
    ImmutableList<HostSpec> Hosts,
    ImmutableList<SegmentSpec> Segments,
    ImmutableList<AttachmentSpec> Attachments,
    ImmutableList<StaticRouteSpec> Routes,
    string IPv4Pool,
    string IPv6Pool,
    bool IPv6,
    bool DefaultRoutes,
    ILogger? Logger,
    Func<string, bool>? FailureInjection,
    AddressPreference AddressPreference = AddressPreference.IPv4First)
{
    public static readonly TopologySpec Empty = new([], [], [], [], TopologyBuilder.DefaultIPv4Pool, TopologyBuilder.DefaultIPv6Pool, IPv6: true, DefaultRoutes: true, Logger: null, FailureInjection: null);

    // Where the build takes ready namespaces from (TopologyBuilder.UsePool); not part of what is built.
    public NamespacePool? Pool { get; init; }
}
