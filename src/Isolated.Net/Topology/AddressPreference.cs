namespace Isolated.Net;

/// <summary>
/// Which address family a topology host name resolves to first, inside hosts (getaddrinfo of every
/// program started there) and in-process (<see cref="NetHost.ResolveAsync"/>, <see cref="NetHost.ConnectTcpAsync"/>).
/// Either way both families are listed; in-process connects fall back to the other family.
/// </summary>
public enum AddressPreference
{
    /// <summary>IPv4 addresses first (the default): a server bound to 0.0.0.0 only is reached by name, as on Docker networks.</summary>
    IPv4First,

    /// <summary>IPv6 addresses first (glibc's own order for the topology's ULA addresses).</summary>
    IPv6First,
}
