using Isolated.Net.Netfilter;

namespace Isolated.Net;

// One NETLINK_NETFILTER socket per namespace, kept open: closing one waits for the kernel to finish
// destroying what recent nf_tables transactions replaced (nft_rcv_nl_event flushes the destroy work,
// which waits an RCU grace period: 10–20 ms here), so a socket per transaction made every cut cost that.
public sealed partial class NetworkNamespace
{
    private NetfilterSocket? _netfilter;

    /// <summary>The namespace's nf_tables socket, opened on first use and kept until the namespace is disposed.</summary>
    internal NetfilterSocket Netfilter => OpenOnce(ref _netfilter, NetfilterSocket.Open);

    private void CloseNetfilter() => Interlocked.Exchange(ref _netfilter, null)?.Dispose();
}
