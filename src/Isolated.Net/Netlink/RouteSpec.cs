using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Isolated.Net.Netlink;

// A route to add or remove: a destination network and either a next hop (gateway and/or output
// interface) or a reject type (blackhole, unreachable, prohibit). Validate() runs before any request
// is built, so a malformed route never reaches the kernel.
internal sealed record RouteSpec
{
    public RouteSpec(IPNetwork destination)
    {
        ArgumentNullException.ThrowIfNull(destination.BaseAddress, nameof(destination));
        Destination = destination;
    }

    public IPNetwork Destination { get; }

    public IPAddress? Gateway { get; init; }

    /// <summary>The output interface index (RTA_OIF); 0 for none.</summary>
    public int OutputInterfaceIndex { get; init; }

    public RouteType Type { get; init; } = RouteType.Unicast;

    public int Table { get; init; } = RouteInfo.MainTable;

    public int? Metric { get; init; }

    public AddressFamily Family => Destination.BaseAddress.AddressFamily;

    public bool IsReject => Type is RouteType.Blackhole or RouteType.Unreachable or RouteType.Prohibit;

    // Equivalent to: ip route add default via GATEWAY [dev IFINDEX]
    public static RouteSpec Default(IPAddress gateway, int outputInterfaceIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return new RouteSpec(DefaultNetwork(gateway.AddressFamily)) { Gateway = gateway, OutputInterfaceIndex = outputInterfaceIndex };
    }

    // Equivalent to: ip route add PREFIX via GATEWAY [dev IFINDEX]
    public static RouteSpec Via(IPNetwork destination, IPAddress gateway, int outputInterfaceIndex = 0) =>
        new(destination) { Gateway = gateway ?? throw new ArgumentNullException(nameof(gateway)), OutputInterfaceIndex = outputInterfaceIndex };

    // Equivalent to: ip route add PREFIX dev IFINDEX
    public static RouteSpec Device(IPNetwork destination, int outputInterfaceIndex) =>
        new(destination) { OutputInterfaceIndex = outputInterfaceIndex };

    // Equivalent to: ip route add {blackhole|unreachable|prohibit} PREFIX
    public static RouteSpec Reject(RouteType type, IPNetwork destination)
    {
        var route = new RouteSpec(destination) { Type = type };
        if (!route.IsReject)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "A reject route is Blackhole, Unreachable or Prohibit.");
        }
        return route;
    }

    public static IPNetwork DefaultNetwork(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => new IPNetwork(IPAddress.Any, 0),
        AddressFamily.InterNetworkV6 => new IPNetwork(IPAddress.IPv6Any, 0),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "Routes are IPv4 or IPv6."),
    };

    /// <summary>Throws <see cref="ArgumentException"/> for a route the kernel would refuse or misread.</summary>
    public void Validate()
    {
        if (Family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Route {this}: the destination must be IPv4 or IPv6, not {Family}.", "route");
        }
        if (Type is not RouteType.Unicast && !IsReject)
        {
            throw new ArgumentException($"Route {this}: type {Type} is not supported; use Unicast, Blackhole, Unreachable or Prohibit.", "route");
        }
        if (IsReject && (Gateway is not null || OutputInterfaceIndex != 0))
        {
            throw new ArgumentException($"Route {this}: a {Type} route has no gateway and no output interface.", "route");
        }
        if (Type is RouteType.Unicast && Gateway is null && OutputInterfaceIndex == 0)
        {
            throw new ArgumentException($"Route {this}: a unicast route needs a gateway or an output interface.", "route");
        }
        if (Gateway is not null && Gateway.AddressFamily != Family)
        {
            throw new ArgumentException($"Route {this}: gateway {Gateway} is not of the destination's family ({Family}).", "route");
        }
        if (OutputInterfaceIndex < 0)
        {
            throw new ArgumentOutOfRangeException("route", OutputInterfaceIndex, $"Route {this}: the output interface index must not be negative.");
        }
        if (Table <= 0)
        {
            throw new ArgumentOutOfRangeException("route", Table, $"Route {this}: the table id must be positive (254 is main).");
        }
        if (Metric < 0)
        {
            throw new ArgumentOutOfRangeException("route", Metric, $"Route {this}: the metric must not be negative.");
        }
    }

    /// <summary>The route in iproute2 words, e.g. "blackhole 10.9.0.0/16" or "default via 10.0.0.1 dev #2".</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Type is not RouteType.Unicast)
        {
            text.Append(Type.ToString().ToLowerInvariant()).Append(' ');
        }
        text.Append(Destination.PrefixLength == 0 ? "default" : Destination.ToString());
        if (Gateway is not null)
        {
            text.Append(" via ").Append(Gateway);
        }
        if (OutputInterfaceIndex != 0)
        {
            text.Append(CultureInfo.InvariantCulture, $" dev #{OutputInterfaceIndex}");
        }
        if (Table != RouteInfo.MainTable)
        {
            text.Append(CultureInfo.InvariantCulture, $" table {Table}");
        }
        if (Metric is int metric)
        {
            text.Append(CultureInfo.InvariantCulture, $" metric {metric}");
        }
        return text.ToString();
    }
}
