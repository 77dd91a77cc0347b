using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Isolated.Net.Interop;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// A NETLINK_SOCK_DIAG socket inside one network namespace: dumps its TCP sockets and destroys chosen
// ones, as `ss -K` does. Created on the namespace's thread (which ties it to that namespace), usable
// from any thread after. SOCK_DESTROY aborts the socket (tcp_abort): its owner's next call fails
// with ECONNABORTED and the kernel sends the peer a reset.
internal sealed unsafe class SockDiagSocket : IDisposable
{
    private const int ReplyTimeoutSeconds = 30;
    private const int ReceiveSize = 64 * 1024;
    private const int DumpAttempts = 5;

    // Every state of a connected socket: what `ss state connected` names, less TIME_WAIT (no socket left
    // to abort) and SYN_RECV's request sockets, which are not full sockets.
    internal const uint ConnectedStates =
        (1u << TCP_ESTABLISHED) | (1u << TCP_SYN_SENT) | (1u << TCP_SYN_RECV) | (1u << TCP_FIN_WAIT1) | (1u << TCP_FIN_WAIT2)
        | (1u << TCP_CLOSE_WAIT) | (1u << TCP_LAST_ACK) | (1u << TCP_CLOSING);

    private readonly NetlinkSocketHandle _handle;
    private readonly string _where;
    private uint _sequence;

    private SockDiagSocket(NetlinkSocketHandle handle, string where)
    {
        _handle = handle;
        _where = where;
        _sequence = (uint)Random.Shared.Next();
    }

    /// <summary>Opens a socket inside <paramref name="ns"/> (socket() runs on its thread).</summary>
    public static SockDiagSocket Open(NetworkNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        string where = " in " + ns;
        int fd = ns.Run(() =>
        {
            int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
            return fd >= 0 ? fd : throw ErrorFromLastErrno("opening a socket diagnostics netlink socket (socket AF_NETLINK NETLINK_SOCK_DIAG)" + where);
        });
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            int on = 1;
            if (LibC.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(int)) != 0 && LastErrno != LibC.ENOPROTOOPT)
            {
                throw ErrorFromLastErrno("enabling NETLINK_EXT_ACK on the socket diagnostics netlink socket" + where);
            }
            var timeout = new timeval { tv_sec = ReplyTimeoutSeconds };
            CheckIo(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(timeval)), "setting the socket diagnostics reply timeout (SO_RCVTIMEO)" + where);
            return new SockDiagSocket(handle, where);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>
    /// Aborts every connected TCP socket of the namespace whose remote address is one of
    /// <paramref name="remotes"/> (IPv4, IPv6, and IPv4 seen through dual-stack sockets); returns how many.
    /// </summary>
    public int DestroyTcpConnections(IReadOnlySet<IPAddress> remotes, string purpose)
    {
        ArgumentNullException.ThrowIfNull(remotes);
        int destroyed = 0;
        foreach (byte family in new[] { (byte)LibC.AF_INET, (byte)LibC.AF_INET6 })
        {
            foreach (var socket in DumpTcp(family, purpose))
            {
                if (remotes.Contains(RemoteAddress(socket)) && Destroy(socket, purpose))
                {
                    destroyed++;
                }
            }
        }
        return destroyed;
    }

    // Equivalent to: ss -t -n state connected (family inet or inet6)
    public List<inet_diag_msg> DumpTcp(byte family, string purpose)
    {
        string operation = $"{purpose}: listing TCP sockets (SOCK_DIAG_BY_FAMILY {(family == LibC.AF_INET ? "AF_INET" : "AF_INET6")}){_where}";
        for (int attempt = 1; ; attempt++)
        {
            uint sequence = ++_sequence;
            using (var writer = new NetlinkMessageWriter(128))
            {
                EncodeDump(writer, sequence, family, ConnectedStates);
                Send(writer.WrittenSpan, operation);
            }
            var sockets = new List<inet_diag_msg>();
            bool interrupted = false;
            var (errno, text) = ReadReplies(sequence, operation, message =>
            {
                interrupted |= (message.Flags & NLM_F_DUMP_INTR) != 0;
                if (message.Type == SOCK_DIAG_BY_FAMILY)
                {
                    sockets.Add(message.ReadHeader<inet_diag_msg>());
                }
            });
            if (errno != 0)
            {
                throw Error(operation, errno, text);
            }
            if (!interrupted || attempt == DumpAttempts)
            {
                return sockets;
            }
        }
    }

    // Equivalent to: ss -K (one socket: the id as the dump gave it, cookie included)
    /// <summary>Destroys one socket; false when it was already gone (closed meanwhile, e.g. by the peer's reset).</summary>
    public bool Destroy(in inet_diag_msg socket, string purpose)
    {
        var id = socket.id;
        string operation = $"{purpose}: destroying TCP socket {LocalEndPoint(socket)} -> {RemoteEndPoint(socket)} (SOCK_DESTROY){_where}";
        uint sequence = ++_sequence;
        using (var writer = new NetlinkMessageWriter(128))
        {
            EncodeDestroy(writer, sequence, socket.idiag_family, id);
            Send(writer.WrittenSpan, operation);
        }
        var (errno, text) = ReadReplies(sequence, operation, onData: null);
        return errno switch
        {
            0 => true,
            ENOENT => false,
            ENOTSUP => throw new NotSupportedException($"{operation} failed: EOPNOTSUPP. This kernel cannot destroy sockets: it needs CONFIG_INET_DIAG_DESTROY=y (and the tcp_diag module)."),
            _ => throw Error(operation, errno, text),
        };
    }

    /// <summary>The dump request: every TCP socket of one family in the given states.</summary>
    internal static void EncodeDump(NetlinkMessageWriter writer, uint sequence, byte family, uint states)
    {
        var request = new inet_diag_req_v2 { sdiag_family = family, sdiag_protocol = (byte)ProtocolType.Tcp, idiag_states = states };
        writer.BeginMessage(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, sequence, request);
    }

    /// <summary>The destroy request for one socket, identified as the dump reported it (ports, addresses, interface, cookie).</summary>
    internal static void EncodeDestroy(NetlinkMessageWriter writer, uint sequence, byte family, in inet_diag_sockid id)
    {
        var request = new inet_diag_req_v2 { sdiag_family = family, sdiag_protocol = (byte)ProtocolType.Tcp, idiag_states = uint.MaxValue, id = id };
        writer.BeginMessage(SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, sequence, request);
    }

    /// <summary>The remote address of a dumped socket; IPv4 for a dual-stack socket talking IPv4 (::ffff:a.b.c.d).</summary>
    internal static IPAddress RemoteAddress(in inet_diag_msg socket) => Address(socket.idiag_family, socket.id, remote: true);

    private static IPAddress Address(byte family, inet_diag_sockid id, bool remote)
    {
        var bytes = new ReadOnlySpan<byte>(remote ? (byte*)id.idiag_dst : (byte*)id.idiag_src, 16);
        if (family == LibC.AF_INET)
        {
            return new IPAddress(bytes[..4]);
        }
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    private static IPEndPoint LocalEndPoint(in inet_diag_msg socket) =>
        new(Address(socket.idiag_family, socket.id, remote: false), System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(socket.id.idiag_sport));

    private static IPEndPoint RemoteEndPoint(in inet_diag_msg socket) =>
        new(RemoteAddress(socket), System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(socket.id.idiag_dport));

    private void Send(ReadOnlySpan<byte> datagram, string operation)
    {
        var kernel = new sockaddr_nl { nl_family = (ushort)LibC.AF_NETLINK };
        fixed (byte* data = datagram)
        {
            while (LibC.sendto(_handle.Fd, data, datagram.Length, 0, (sockaddr*)&kernel, (uint)sizeof(sockaddr_nl)) < 0)
            {
                int error = LastErrno;
                if (error != EINTR)
                {
                    throw Error(operation + " (sending)", error);
                }
            }
        }
    }

    // Reads the replies to one request until its NLMSG_DONE or NLMSG_ERROR; returns the errno (0: done)
    // and the kernel's extended-ack text.
    private (int Errno, string? KernelMessage) ReadReplies(uint sequence, string operation, NetlinkMessageHandler? onData)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ReceiveSize);
        try
        {
            while (true)
            {
                int received = _handle.ReceiveFromKernel(buffer, 0, out int error);
                if (error != 0)
                {
                    throw error == EAGAIN
                        ? Error($"{operation} (no reply from the kernel within {ReplyTimeoutSeconds} s)", ETIMEDOUT)
                        : Error($"{operation} (receiving the reply)", error);
                }
                var reader = new NetlinkMessageReader(buffer.AsSpan(0, Math.Min(received, buffer.Length)));
                while (reader.TryRead(out var message))
                {
                    if (message.Sequence != sequence)
                    {
                        continue; // a late reply to an earlier request
                    }
                    switch (message.Type)
                    {
                        case NLMSG_ERROR:
                        case NLMSG_DONE:
                            return RouteNetlinkSocket.ReadStatus(message);
                        case NLMSG_NOOP:
                        case NLMSG_OVERRUN:
                            break;
                        default:
                            onData?.Invoke(message);
                            break;
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private delegate void NetlinkMessageHandler(NetlinkMessage message);
}
