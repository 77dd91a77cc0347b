namespace Isolated.Net;

public sealed partial class NetHost
{
    /// <summary>Starts capturing every interface of the host (loopback included) into a pcap file.</summary>
    /// <param name="path">The pcap file to write; null picks a new file under the temporary directory.</param>
    /// <param name="options">Size bounds; null for <see cref="PacketCaptureOptions.Default"/>.</param>
    /// <returns>The running capture; dispose it to finish the file.</returns>
    public PacketCapture StartCapture(string? path = null, PacketCaptureOptions? options = null) =>
        PacketCapture.Start(Namespace, null, Name + " (all interfaces)", path, options);
}

public sealed partial class HostInterface
{
    /// <summary>Starts capturing this interface into a pcap file.</summary>
    /// <param name="path">The pcap file to write; null picks a new file under the temporary directory.</param>
    /// <param name="options">Size bounds; null for <see cref="PacketCaptureOptions.Default"/>.</param>
    /// <returns>The running capture; dispose it to finish the file.</returns>
    public PacketCapture StartCapture(string? path = null, PacketCaptureOptions? options = null) =>
        PacketCapture.Start(Host.Namespace, Name, ToString(), path, options);
}

public sealed partial class Link
{
    /// <summary>
    /// Starts capturing the link into a pcap file, on its <see cref="First"/> end: a veth pair carries
    /// the same frames at both ends.
    /// </summary>
    /// <param name="path">The pcap file to write; null picks a new file under the temporary directory.</param>
    /// <param name="options">Size bounds; null for <see cref="PacketCaptureOptions.Default"/>.</param>
    /// <returns>The running capture; dispose it to finish the file.</returns>
    public PacketCapture StartCapture(string? path = null, PacketCaptureOptions? options = null) =>
        PacketCapture.Start(First.Host.Namespace, First.Name, Name, path, options);
}
