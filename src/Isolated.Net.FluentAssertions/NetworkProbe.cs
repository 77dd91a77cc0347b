using System.Net.Sockets;

namespace Isolated.Net.FluentAssertions;

/// <summary>The transport a reach assertion probes with.</summary>
public enum ProbeProtocol
{
    /// <summary>A TCP handshake with whatever listens on the target port.</summary>
    Tcp,

    /// <summary>A datagram delivered to a UDP socket the assertion binds on the target port itself.</summary>
    Udp,
}

/// <summary>
/// How <see cref="HostAssertions.Reach(NetHost, int, NetworkProbe, string, object[])"/> probes: the protocol,
/// the address family of the target address, and how long to wait for an answer. Immutable; derive
/// variants with <c>with</c>, e.g. <c>NetworkProbe.Udp with { Timeout = TimeSpan.FromMilliseconds(300) }</c>.
/// </summary>
public sealed record NetworkProbe
{
    /// <summary>How long a probe waits for an answer unless told otherwise: 2 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    private readonly TimeSpan _timeout = DefaultTimeout;
    private readonly AddressFamily _addressFamily = AddressFamily.Unspecified;

    private NetworkProbe(ProbeProtocol protocol) => Protocol = protocol;

    /// <summary>
    /// A TCP probe: a connect from inside the source host to the target's address and port. It reaches
    /// when the handshake completes (something listens there: your server, or a socket from
    /// <see cref="NetHost.Listen"/>); the connection is closed at once without sending data.
    /// </summary>
    public static NetworkProbe Tcp { get; } = new(ProbeProtocol.Tcp);

    /// <summary>
    /// A UDP probe: the assertion binds a UDP socket to the target's address and port inside the target
    /// (the port must be free there), then sends datagrams carrying a random nonce from inside the source
    /// host, one every 100 ms. It reaches when a datagram with that nonce arrives at the bound socket:
    /// one-way delivery from source to target, no reply is needed.
    /// </summary>
    public static NetworkProbe Udp { get; } = new(ProbeProtocol.Udp);

    /// <summary>The transport.</summary>
    public ProbeProtocol Protocol { get; }

    /// <summary>How long to wait for the handshake or the datagram; more than zero. Default <see cref="DefaultTimeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero, negative or infinite.</exception>
    public TimeSpan Timeout
    {
        get => _timeout;
        init
        {
            if (value <= TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "A probe timeout must be more than zero.");
            }
            _timeout = value;
        }
    }

    /// <summary>
    /// Which of the target's addresses to probe: <see cref="AddressFamily.InterNetwork"/>,
    /// <see cref="AddressFamily.InterNetworkV6"/>, or <see cref="AddressFamily.Unspecified"/> (the default)
    /// for its primary address, IPv4 first, as <see cref="Topology.AddressOf(string)"/> picks it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Another address family.</exception>
    public AddressFamily AddressFamily
    {
        get => _addressFamily;
        init
        {
            if (value is not (AddressFamily.Unspecified or AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "A probe targets InterNetwork (IPv4), InterNetworkV6 (IPv6) or Unspecified (the primary address).");
            }
            _addressFamily = value;
        }
    }
}
