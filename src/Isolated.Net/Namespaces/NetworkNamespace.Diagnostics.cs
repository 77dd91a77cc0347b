using System.Text;

namespace Isolated.Net;

// Failure diagnostics: neighbours, sockets, a readable dump of everything, and packet capture.
public sealed partial class NetworkNamespace
{
    /// <summary>Lists the ARP and IPv6 neighbour entries inside the namespace, as <c>ip neigh show</c> does.</summary>
    /// <returns>One record per IPv4 or IPv6 neighbour entry.</returns>
    /// <exception cref="ObjectDisposedException">The namespace was disposed.</exception>
    public IReadOnlyList<NeighbourInfo> GetNeighbours() => Netlink.GetNeighbours();

    /// <summary>
    /// Lists the TCP and UDP sockets (IPv4 and IPv6) of the namespace, read from <c>/proc/thread-self/net</c>
    /// on the namespace thread, as <c>ss -tuan</c> inside it would show them.
    /// </summary>
    /// <returns>One record per socket: TCP first, then UDP.</returns>
    /// <exception cref="ObjectDisposedException">The namespace was disposed.</exception>
    public IReadOnlyList<SocketInfo> GetSockets() => Run(ProcNetSockets.Read);

    /// <summary>
    /// Describes what the namespace holds now, as readable text for failure output: each link with its
    /// state, MTU and addresses, the main-table routes, the neighbour entries and the TCP/UDP sockets.
    /// </summary>
    /// <returns>Several lines; a namespace that cannot be read any more says why instead of throwing.</returns>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(ToString());
        NamespaceDump.Append(text, this);
        return text.ToString();
    }

    /// <summary>
    /// Starts capturing the frames of one interface of the namespace (or of all of them) into a pcap file.
    /// </summary>
    /// <param name="interfaceName">The interface, e.g. <c>eth0</c>; null captures every interface of the namespace.</param>
    /// <param name="path">The pcap file to write; null picks a new file under the temporary directory.</param>
    /// <param name="options">Size bounds; null for <see cref="PacketCaptureOptions.Default"/>.</param>
    /// <returns>The running capture; dispose it to finish the file.</returns>
    /// <exception cref="ArgumentException">The interface name or an option is invalid.</exception>
    /// <exception cref="NetworkOperationException">The interface does not exist (ENODEV) or the socket cannot be opened.</exception>
    public PacketCapture StartCapture(string? interfaceName = null, string? path = null, PacketCaptureOptions? options = null) =>
        PacketCapture.Start(this, interfaceName, $"{this}{(interfaceName is null ? " (all interfaces)" : ":" + interfaceName)}", path, options);
}
