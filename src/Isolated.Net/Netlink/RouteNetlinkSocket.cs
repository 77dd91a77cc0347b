using System.Buffers;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Isolated.Net.Interop;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// An rtnetlink (NETLINK_ROUTE) socket bound inside one network namespace. The socket is created on
// the namespace's thread, which ties it to that namespace for good; after that any thread may use it.
// Requests are serialized by a lock. Each request gets its own sequence number, and replies are
// matched on it and on our port id (as vishvananda/netlink's executeIter does); NLMSG_ERROR carries a
// negated errno and, with extended acks, the kernel's explanation.
//
// rtnetlink handles a request synchronously inside send(): by the time send() returns, every
// acknowledgement is queued and a dump's first part is too (the rest is produced as we read). So
// several requests can go out in one datagram (Execute with many) and cost one send and a read each.
internal sealed unsafe partial class RouteNetlinkSocket : IDisposable
{
    private const int MaxMessagesPerDatagram = 32; // their acks fit the default receive buffer many times over
    private const int InitialReceiveSize = 64 * 1024; // dump parts are at most 32 KiB unless a link is huge
    private const int MaxDumpAttempts = 8;
    private const int ReplyTimeoutSeconds = 30; // a safety net only: replies are queued before we read

    private readonly NetlinkSocketHandle _handle;
    private readonly NetworkNamespace _namespace;
    private readonly Lock _lock = new();
    private uint _sequence;
    private int _receiveSize = InitialReceiveSize;

    private RouteNetlinkSocket(NetlinkSocketHandle handle, NetworkNamespace ns, uint portId)
    {
        _handle = handle;
        _namespace = ns;
        PortId = portId;
        _sequence = (uint)Random.Shared.Next();
    }

    private delegate void ReplyHandler(NetlinkMessage message);

    private delegate T? ReplyParser<T>(NetlinkMessage message);

    /// <summary>The port id the kernel gave this socket (nl_pid); replies are addressed to it.</summary>
    public uint PortId { get; }

    /// <summary>Opens a socket inside <paramref name="ns"/> (socket() runs on its thread), then binds it.</summary>
    public static RouteNetlinkSocket Open(NetworkNamespace ns)
    {
        ArgumentNullException.ThrowIfNull(ns);
        int fd = ns.Run(static () =>
        {
            int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
            return fd >= 0 ? fd : throw ErrorFromLastErrno("opening an rtnetlink socket (socket AF_NETLINK)");
        });
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            return new RouteNetlinkSocket(handle, ns, Configure(fd));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // Equivalent to: ip link add A [up] netns FD type veth peer name B netns FD; ip -n PEERNS link set B up
    // With up, the first end comes up in the creation request; the kernel cannot do that for the peer
    // (see RouteRequest.CreateVethPair), so a SETLINK follows: in the same datagram when the peer is
    // born in this socket's namespace, else on the peer namespace's own socket.
    public void CreateVethPair(VethEnd end, VethEnd peer, bool up = false)
    {
        var create = RouteRequest.CreateVethPair(end, peer, up);
        if (!up)
        {
            Execute(create);
            return;
        }
        var peerUp = RouteRequest.SetLinkState(peer.Name, up: true);
        if (IsThisNamespace(peer.NamespaceFd))
        {
            Execute(create, peerUp);
            return;
        }
        var peerNamespace = peer.Namespace
            ?? throw new ArgumentException($"Bringing veth peer '{peer.Name}' up in another namespace needs that NetworkNamespace, not a bare fd.", nameof(peer));
        Execute(create);
        peerNamespace.Netlink.Execute(peerUp);
    }

    // Equivalent to: ip link add NAME [mtu N] [up] type bridge
    public void CreateBridge(string name, int? mtu = null, bool up = false) => Execute(RouteRequest.CreateBridge(name, mtu, up));

    // Equivalent to: ip link set dev NAME master BRIDGE
    public void SetMaster(LinkRef link, LinkRef master) => Execute(RouteRequest.SetMaster(link, IndexOf(master), master.Name));

    // Equivalent to: ip link set dev NAME nomaster
    public void ReleaseFromMaster(LinkRef link) => Execute(RouteRequest.ReleaseFromMaster(link));

    // Equivalent to: ip link set dev NAME up
    public void SetLinkUp(LinkRef link) => Execute(RouteRequest.SetLinkState(link, up: true));

    // Equivalent to: ip link set dev NAME down
    public void SetLinkDown(LinkRef link) => Execute(RouteRequest.SetLinkState(link, up: false));

    // Equivalent to: ip link set dev NAME mtu N
    public void SetMtu(LinkRef link, int mtu) => Execute(RouteRequest.SetMtu(link, mtu));

    // Equivalent to: ip link set dev NAME address MAC
    public void SetMacAddress(LinkRef link, PhysicalAddress address) => Execute(RouteRequest.SetMacAddress(link, address));

    // Equivalent to: ip link set dev NAME name NEWNAME
    public void Rename(LinkRef link, string newName)
    {
        InterfaceName.Validate(newName, nameof(newName));
        Execute(RouteRequest.Rename(IndexOf(link), newName, link.Name));
    }

    // Equivalent to: ip link del dev NAME
    public void DeleteLink(LinkRef link) => Execute(RouteRequest.DeleteLink(link));

    // Equivalent to: ip link show dev NAME (the index only)
    public int GetLinkIndex(string name)
    {
        var request = RouteRequest.GetLink(name);
        var indices = Query(request, RouteMessageParser.ParseLinkIndex);
        return indices.Count > 0 ? indices[0] : throw Error(request.Operation, ENODEV);
    }

    // Equivalent to: ip addr add ADDRESS/PREFIX brd + dev NAME (IPv6: nodad)
    public void AddAddress(LinkRef link, IPAddress address, int prefixLength)
    {
        RouteRequest.ValidateAddress(address, prefixLength);
        Execute(RouteRequest.AddAddress(IndexOf(link), address, prefixLength));
    }

    // Equivalent to: ip addr del ADDRESS/PREFIX dev NAME
    public void RemoveAddress(LinkRef link, IPAddress address, int prefixLength)
    {
        RouteRequest.ValidateAddress(address, prefixLength);
        Execute(RouteRequest.RemoveAddress(IndexOf(link), address, prefixLength));
    }

    // Equivalent to: ip route add ROUTE
    public void AddRoute(RouteSpec route) => Execute(RouteRequest.AddRoute(route));

    // Equivalent to: ip route del ROUTE
    public void RemoveRoute(RouteSpec route) => Execute(RouteRequest.RemoveRoute(route));

    // Equivalent to: ip -d link show
    public IReadOnlyList<LinkInfo> GetLinks() => Query(RouteRequest.DumpLinks(), RouteMessageParser.ParseLink);

    // Equivalent to: ip addr show (names resolved through one link dump)
    public IReadOnlyList<AddressInfo> GetAddresses(AddressFamily family = AddressFamily.Unspecified)
    {
        var request = RouteRequest.DumpAddresses(family);
        var names = LinkNames();
        return Query(request, message => RouteMessageParser.ParseAddress(message, names));
    }

    // Equivalent to: ip route show table TABLE; ip -6 route show table TABLE (table 0: all tables)
    public IReadOnlyList<RouteInfo> GetRoutes(AddressFamily family = AddressFamily.Unspecified, int table = RouteInfo.MainTable)
    {
        AddressFamily[] families = family == AddressFamily.Unspecified
            ? [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6]
            : [family];
        var requests = families.Select(f => RouteRequest.DumpRoutes(f, table)).ToList();
        var names = LinkNames();
        var routes = new List<RouteInfo>();
        foreach (var request in requests)
        {
            routes.AddRange(Query(request, message => RouteMessageParser.ParseRoute(message, names)));
        }
        return routes;
    }

    /// <summary>
    /// Sends the requests (in datagrams of up to 32 messages) and waits for every acknowledgement.
    /// The kernel carries on after a failed message, so all of a datagram is read before the first
    /// failure, in request order, is thrown with the kernel's explanation.
    /// </summary>
    public void Execute(params ReadOnlySpan<RouteRequest> requests)
    {
        foreach (var request in requests)
        {
            ArgumentNullException.ThrowIfNull(request, nameof(requests));
            if (request.IsDump)
            {
                throw new ArgumentException($"'{request.Operation}' is a dump; use a query method.", nameof(requests));
            }
        }
        lock (_lock)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                for (int start = 0; start < requests.Length; start += MaxMessagesPerDatagram)
                {
                    var batch = requests.Slice(start, Math.Min(MaxMessagesPerDatagram, requests.Length - start));
                    var outcomes = Exchange(batch, onData: null);
                    for (int i = 0; i < batch.Length; i++)
                    {
                        if (outcomes[i].Errno != 0)
                        {
                            throw Error(batch[i].Operation, outcomes[i].Errno, outcomes[i].KernelMessage);
                        }
                        if (outcomes[i].Incomplete)
                        {
                            // The acknowledgement was dropped (receive queue overrun): the outcome is unknown.
                            throw Error(batch[i].Operation + " (acknowledgement lost)", ENOBUFS);
                        }
                    }
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    // Extended acks (the kernel says why a request failed), capped acks (errors do not echo our whole
    // request) and strict checking of dump requests (so the kernel filters, e.g. by table) where the
    // kernel has them; then bind to get a port id.
    private static uint Configure(int fd)
    {
        SetOptionIfSupported(fd, NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
        SetOptionIfSupported(fd, NETLINK_CAP_ACK, "NETLINK_CAP_ACK");
        SetOptionIfSupported(fd, NETLINK_GET_STRICT_CHK, "NETLINK_GET_STRICT_CHK");
        var timeout = new timeval { tv_sec = ReplyTimeoutSeconds };
        CheckIo(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(timeval)), "setting the rtnetlink reply timeout (SO_RCVTIMEO)");
        var address = new sockaddr_nl { nl_family = (ushort)LibC.AF_NETLINK };
        CheckIo(LibC.bind(fd, (sockaddr*)&address, (uint)sizeof(sockaddr_nl)), "binding the rtnetlink socket");
        socklen_t length = (uint)sizeof(sockaddr_nl);
        CheckIo(LibC.getsockname(fd, (sockaddr*)&address, &length), "reading the rtnetlink port id (getsockname)");
        return address.nl_pid;
    }

    private static void SetOptionIfSupported(int fd, int option, string name)
    {
        int on = 1;
        if (LibC.setsockopt(fd, SOL_NETLINK, option, &on, sizeof(int)) != 0 && LastErrno != LibC.ENOPROTOOPT)
        {
            throw ErrorFromLastErrno($"enabling {name} on the rtnetlink socket");
        }
    }

    private bool IsThisNamespace(SafeHandle? namespaceFd)
    {
        if (namespaceFd is null)
        {
            return true;
        }
        bool added = false;
        namespaceFd.DangerousAddRef(ref added);
        try
        {
            var identity = FileIdentity((int)namespaceFd.DangerousGetHandle(), "reading a namespace fd (fstat)");
            return identity == (_namespace.Device, _namespace.Inode);
        }
        finally
        {
            if (added)
            {
                namespaceFd.DangerousRelease();
            }
        }
    }

    private int IndexOf(LinkRef link) => link.IsIndex ? link.Index : GetLinkIndex(link.Name!);

    private Dictionary<int, string> LinkNames() => GetLinks().ToDictionary(l => l.Index, l => l.Name);

    // A dump, or a get answered by one message, collected into a list. A dump that comes back
    // interrupted (NLM_F_DUMP_INTR: the table changed while it was read) or overran our receive
    // queue is thrown away and started again.
    private List<T> Query<T>(RouteRequest request, ReplyParser<T> parse)
    {
        lock (_lock)
        {
            bool added = false;
            _handle.DangerousAddRef(ref added);
            try
            {
                for (int attempt = 1; ; attempt++)
                {
                    var items = new List<T>();
                    var outcome = Exchange([request], message =>
                    {
                        if (parse(message) is { } item)
                        {
                            items.Add(item);
                        }
                    })[0];
                    if (outcome.Errno != 0)
                    {
                        throw Error(request.Operation, outcome.Errno, outcome.KernelMessage);
                    }
                    if (!outcome.Incomplete)
                    {
                        return items;
                    }
                    if (attempt == MaxDumpAttempts)
                    {
                        throw Error($"{request.Operation} (interrupted by concurrent changes {attempt} times in a row)", EAGAIN);
                    }
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }
    }

    // Sends the requests in one datagram and reads until each has its final answer: NLMSG_ERROR (an
    // ack or a failure) or, for a dump, NLMSG_DONE. Other messages with a request's sequence number
    // are its data. Runs under _lock with the socket handle held.
    private Outcome[] Exchange(ReadOnlySpan<RouteRequest> requests, ReplyHandler? onData)
    {
        uint first = unchecked(_sequence + 1);
        _sequence = unchecked(_sequence + (uint)requests.Length);
        SendAll(requests, first);

        var outcomes = new Outcome[requests.Length];
        int pending = requests.Length;
        bool draining = false; // after an overrun: read what is queued, then stop
        var buffer = ArrayPool<byte>.Shared.Rent(_receiveSize);
        try
        {
            while (pending > 0)
            {
                int received = Receive(buffer, draining, out int error);
                if (error == ENOBUFS || received > buffer.Length)
                {
                    // The kernel dropped a reply, or this one did not fit: what is pending cannot be trusted.
                    draining = true;
                    MarkPendingIncomplete(outcomes);
                    if (received > buffer.Length)
                    {
                        _receiveSize = Math.Max(_receiveSize, received);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(_receiveSize);
                    }
                    continue;
                }
                if (error == EAGAIN && draining)
                {
                    // Nothing more is coming: replies still missing were lost in the overrun.
                    for (int i = 0; i < outcomes.Length; i++)
                    {
                        outcomes[i].Done = true;
                    }
                    break;
                }
                if (error != 0)
                {
                    var operation = requests[FirstPending(outcomes)].Operation;
                    throw error == EAGAIN
                        ? Error($"{operation} (no reply from the kernel within {ReplyTimeoutSeconds} s)", ETIMEDOUT)
                        : Error($"{operation} (receiving the reply)", error);
                }
                pending -= Dispatch(buffer.AsSpan(0, received), first, outcomes, onData);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return outcomes;
    }

    private void SendAll(ReadOnlySpan<RouteRequest> requests, uint first)
    {
        // Namespace fds named in the messages stay open until the kernel has read them.
        var held = new List<SafeHandle>();
        try
        {
            using var writer = new NetlinkMessageWriter();
            for (int i = 0; i < requests.Length; i++)
            {
                foreach (var handle in requests[i].Handles)
                {
                    if (handle is not null)
                    {
                        bool added = false;
                        handle.DangerousAddRef(ref added);
                        held.Add(handle);
                    }
                }
                requests[i].Encode(writer, unchecked(first + (uint)i));
            }
            var datagram = writer.WrittenSpan;
            fixed (byte* data = datagram)
            {
                while (LibC.send(_handle.Fd, data, datagram.Length, 0) < 0)
                {
                    int error = LastErrno;
                    if (error != EINTR)
                    {
                        throw Error(requests[0].Operation + (requests.Length > 1 ? $" and {requests.Length - 1} more (sending)" : " (sending)"), error);
                    }
                }
            }
        }
        finally
        {
            foreach (var handle in held)
            {
                handle.DangerousRelease();
            }
        }
    }

    // One datagram from the kernel. Returns its full length, which exceeds the buffer when it was
    // truncated (MSG_TRUNC); error is the errno when nothing was received.
    private int Receive(byte[] buffer, bool dontWait, out int error)
    {
        int flags = LibC.MSG_TRUNC | (dontWait ? LibC.MSG_DONTWAIT : 0);
        fixed (byte* data = buffer)
        {
            while (true)
            {
                sockaddr_nl from = default;
                socklen_t fromLength = (uint)sizeof(sockaddr_nl);
                long received = LibC.recvfrom(_handle.Fd, data, buffer.Length, flags, (sockaddr*)&from, &fromLength);
                if (received < 0)
                {
                    error = LastErrno;
                    if (error == EINTR)
                    {
                        continue;
                    }
                    return 0;
                }
                if (from.nl_pid != 0)
                {
                    continue; // not from the kernel
                }
                error = 0;
                return (int)received;
            }
        }
    }

    // Records the messages of one datagram against their requests; returns how many requests finished.
    private int Dispatch(ReadOnlySpan<byte> datagram, uint first, Outcome[] outcomes, ReplyHandler? onData)
    {
        int finished = 0;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            uint index = unchecked(message.Sequence - first);
            if (message.Header.nlmsg_pid != PortId || index >= (uint)outcomes.Length || outcomes[index].Done)
            {
                continue; // a late reply to an abandoned request
            }
            ref var outcome = ref outcomes[index];
            if ((message.Flags & NLM_F_DUMP_INTR) != 0)
            {
                outcome.Incomplete = true;
            }
            switch (message.Type)
            {
                case NLMSG_ERROR:
                case NLMSG_DONE:
                    (outcome.Errno, outcome.KernelMessage) = ReadStatus(message);
                    outcome.Done = true;
                    finished++;
                    break;
                case NLMSG_NOOP:
                case NLMSG_OVERRUN:
                    break;
                default:
                    if (!outcome.Incomplete)
                    {
                        onData?.Invoke(message);
                    }
                    break;
            }
        }
        return finished;
    }

    /// <summary>
    /// The errno (positive, 0 for success) and extended-ack text of an NLMSG_ERROR or NLMSG_DONE.
    /// NLMSG_ERROR holds struct nlmsgerr: the negated errno, then our request's header (and its
    /// payload unless NLM_F_CAPPED); NLMSG_DONE holds the negated errno alone. Either is followed by
    /// NLMSGERR_ATTR_* attributes when NLM_F_ACK_TLVS is set.
    /// </summary>
    internal static (int Errno, string? KernelMessage) ReadStatus(NetlinkMessage message)
    {
        var payload = message.Payload;
        if (payload.Length < sizeof(int))
        {
            return (0, null);
        }
        int error = MemoryMarshal.Read<int>(payload);
        int offset = sizeof(int);
        if (message.Type == NLMSG_ERROR && payload.Length >= sizeof(nlmsgerr))
        {
            var request = MemoryMarshal.Read<nlmsghdr>(payload[sizeof(int)..]);
            offset = (message.Flags & NLM_F_CAPPED) != 0 ? sizeof(nlmsgerr) : sizeof(int) + NetlinkAlign((int)request.nlmsg_len);
        }
        string? text = null;
        if ((message.Flags & NLM_F_ACK_TLVS) != 0 && offset < payload.Length)
        {
            var attributes = new NetlinkAttributeReader(payload[offset..]);
            while (attributes.TryRead(out var attribute))
            {
                if (attribute.Type == NLMSGERR_ATTR_MSG)
                {
                    text = attribute.AsString();
                }
            }
        }
        return (-error, string.IsNullOrEmpty(text) ? null : text);
    }

    private static int FirstPending(Outcome[] outcomes)
    {
        for (int i = 0; i < outcomes.Length; i++)
        {
            if (!outcomes[i].Done)
            {
                return i;
            }
        }
        return 0;
    }

    private static void MarkPendingIncomplete(Outcome[] outcomes)
    {
        for (int i = 0; i < outcomes.Length; i++)
        {
            if (!outcomes[i].Done)
            {
                outcomes[i].Incomplete = true;
            }
        }
    }

    private struct Outcome
    {
        public bool Done;
        public bool Incomplete; // interrupted dump, or a reply lost to an overrun
        public int Errno;
        public string? KernelMessage;
    }
}
