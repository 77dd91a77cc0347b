using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

internal delegate void RouteRequestEncoder(NetlinkMessageWriter writer, uint sequence);

// One rtnetlink request: what it does in iproute2 words (for errors), and how it is encoded. The
// factories validate their arguments before anything is built, so a bad argument never reaches the
// kernel. Requests are values: RouteNetlinkSocket.Execute sends one or several in a single datagram.
internal sealed partial class RouteRequest
{
    private const ushort CreateFlags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private const ushort ChangeFlags = NLM_F_REQUEST | NLM_F_ACK;
    private const ushort DumpFlags = NLM_F_REQUEST | NLM_F_DUMP;

    private readonly RouteRequestEncoder _encode;
    private readonly SafeHandle?[] _handles;

    private RouteRequest(string operation, RouteRequestEncoder encode, bool isDump = false, params SafeHandle?[] handles)
    {
        Operation = operation;
        IsDump = isDump;
        _encode = encode;
        _handles = handles;
    }

    /// <summary>What the request does, e.g. "creating veth pair 'a0'/'b0'".</summary>
    public string Operation { get; }

    /// <summary>True for NLM_F_DUMP requests, answered by many messages and NLMSG_DONE.</summary>
    public bool IsDump { get; }

    /// <summary>Namespace fds the encoded message refers to; the socket holds them open while it sends.</summary>
    public ReadOnlySpan<SafeHandle?> Handles => _handles;

    public void Encode(NetlinkMessageWriter writer, uint sequence) => _encode(writer, sequence);

    public override string ToString() => Operation;

    private static string Describe(string verb, int index) => string.Create(CultureInfo.InvariantCulture, $"{verb} link #{index}");

    private static byte FamilyByte(AddressFamily family, bool allowUnspecified) => family switch
    {
        AddressFamily.InterNetwork => AF_INET,
        AddressFamily.InterNetworkV6 => AF_INET6,
        AddressFamily.Unspecified when allowUnspecified => AF_UNSPEC,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, allowUnspecified ? "IPv4, IPv6 or Unspecified (both)." : "IPv4 or IPv6."),
    };
}
