using Isolated.Net.Netfilter;

namespace Isolated.Net;

// One NETLINK_NETFILTER socket per namespace, kept open: closing one waits for the kernel to finish
// destroying what recent nf_tables transactions replaced (nft_rcv_nl_event flushes the destroy work,
// which waits an RCU grace period: 10–20 ms here), so a socket per transaction made every cut cost that.
public sealed partial class NetworkNamespace
{
    private NetfilterSocket? _netfilter;

    /// <summary>The namespace's nf_tables socket, opened on first use and kept until the namespace is disposed.</summary>
    internal NetfilterSocket Netfilter
    {
        get
        {
            var socket = Volatile.Read(ref _netfilter);
            if (socket is not null)
            {
                return socket;
            }
            var opened = NetfilterSocket.Open(this); // throws ObjectDisposedException once disposed
            socket = Interlocked.CompareExchange(ref _netfilter, opened, null);
            if (socket is not null)
            {
                opened.Dispose(); // another thread won the race
                return socket;
            }
            if (Volatile.Read(ref _disposed) != 0)
            {
                // Dispose ran between Open and the exchange; the socket would pin the namespace.
                CloseNetfilter();
                throw new ObjectDisposedException(ToString());
            }
            return opened;
        }
    }

    private void CloseNetfilter() => Interlocked.Exchange(ref _netfilter, null)?.Dispose();
}
