using Isolated.Net.Netlink;

namespace Isolated.Net;

// Read-only views of what is inside the namespace, over one rtnetlink socket per namespace.
public sealed partial class NetworkNamespace
{
    private RouteNetlinkSocket? _netlink;

    /// <summary>
    /// The namespace's rtnetlink socket, opened on first use and kept until the namespace is disposed.
    /// </summary>
    internal RouteNetlinkSocket Netlink => OpenOnce(ref _netlink, RouteNetlinkSocket.Open);

    // The namespace's socket of one kind, opened on first use (on the namespace thread, by open) and kept
    // until the namespace is disposed; a socket opened while Dispose ran is closed, not kept.
    private T OpenOnce<T>(ref T? field, Func<NetworkNamespace, T> open)
        where T : class, IDisposable
    {
        var socket = Volatile.Read(ref field);
        if (socket is not null)
        {
            return socket;
        }
        var opened = open(this); // throws ObjectDisposedException once disposed
        socket = Interlocked.CompareExchange(ref field, opened, null);
        if (socket is not null)
        {
            opened.Dispose(); // another thread won the race
            return socket;
        }
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Dispose ran between open and the exchange; the socket would pin the namespace.
            Interlocked.Exchange(ref field, null)?.Dispose();
            throw new ObjectDisposedException(ToString());
        }
        return opened;
    }

    /// <summary>Lists the network interfaces inside the namespace, as <c>ip -d link show</c> does.</summary>
    /// <returns>One record per link, in the kernel's order (by index).</returns>
    /// <exception cref="ObjectDisposedException">The namespace was disposed.</exception>
    public IReadOnlyList<LinkInfo> GetLinks() => Netlink.GetLinks();

    /// <summary>Lists the IPv4 and IPv6 addresses inside the namespace, as <c>ip addr show</c> does.</summary>
    /// <returns>One record per address, IPv4 first.</returns>
    /// <exception cref="ObjectDisposedException">The namespace was disposed.</exception>
    public IReadOnlyList<AddressInfo> GetAddresses() => Netlink.GetAddresses();

    /// <summary>
    /// Lists the routes of the main routing table inside the namespace, IPv4 then IPv6, as
    /// <c>ip route show</c> and <c>ip -6 route show</c> do.
    /// </summary>
    /// <returns>One record per route.</returns>
    /// <exception cref="ObjectDisposedException">The namespace was disposed.</exception>
    public IReadOnlyList<RouteInfo> GetRoutes() => Netlink.GetRoutes();

    // Closes the cached socket; Dispose calls this so the socket no longer pins the namespace.
    // The socket the namespace thread opened on its way in (NamespacePreparation.OpenNetlink).
    private void AdoptNetlink(RouteNetlinkSocket socket) => _netlink = socket;

    private void CloseNetlink() => Interlocked.Exchange(ref _netlink, null)?.Dispose();
}
