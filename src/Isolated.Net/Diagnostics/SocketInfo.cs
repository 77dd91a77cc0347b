using System.Net;

namespace Isolated.Net;

/// <summary>
/// A TCP or UDP socket of a namespace, as <c>/proc/net/tcp</c>, <c>tcp6</c>, <c>udp</c> and <c>udp6</c>
/// list them (what <c>ss -tuan</c> shows). A snapshot.
/// </summary>
public sealed record SocketInfo
{
    internal SocketInfo()
    {
    }

    /// <summary><see cref="SocketProtocol.Tcp"/> or <see cref="SocketProtocol.Udp"/>.</summary>
    public SocketProtocol Protocol { get; init; }

    /// <summary>The bound local address and port (0.0.0.0 or :: when bound to any address).</summary>
    public IPEndPoint Local { get; init; } = new(IPAddress.Any, 0);

    /// <summary>The remote address and port; port 0 when unconnected or listening.</summary>
    public IPEndPoint Remote { get; init; } = new(IPAddress.Any, 0);

    /// <summary>The state in <c>ss</c> words: LISTEN, ESTAB, TIME-WAIT, … ; UDP sockets are UNCONN or ESTAB.</summary>
    public string State { get; init; } = "";

    /// <summary>True for a listening TCP socket.</summary>
    public bool IsListening => Protocol == SocketProtocol.Tcp && State == "LISTEN";
}

/// <summary>The transport protocol of a <see cref="SocketInfo"/>.</summary>
public enum SocketProtocol
{
    /// <summary>TCP.</summary>
    Tcp,

    /// <summary>UDP.</summary>
    Udp,
}
