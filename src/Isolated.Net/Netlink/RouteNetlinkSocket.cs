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
    private const int InitialReceiveSize = 64 * 1024; // dump parts are at most 32 KiB unless a link is huge
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

    /// <summary>
    /// Opens and binds a socket in the calling thread's namespace: for a namespace thread on its way in,
    /// before its <see cref="NetworkNamespace"/> exists. <see cref="Adopt"/> wraps the result.
    /// </summary>
    public static (NetlinkSocketHandle Handle, uint PortId) OpenHere()
    {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
        {
            throw ErrorFromLastErrno("opening an rtnetlink socket (socket AF_NETLINK)");
        }
        var handle = new NetlinkSocketHandle(fd);
        try
        {
            return (handle, Configure(fd));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Wraps a socket <see cref="OpenHere"/> opened inside <paramref name="ns"/>.</summary>
    public static RouteNetlinkSocket Adopt(NetlinkSocketHandle handle, uint portId, NetworkNamespace ns) => new(handle, ns, portId);

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
}
