using System.Net.NetworkInformation;
using System.Net.Sockets;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Turns the RTM_NEWNEIGH messages of a neighbour dump into NeighbourInfo records.
internal static class NeighbourMessageParser
{
    public static NeighbourInfo? Parse(NetlinkMessage message, IReadOnlyDictionary<int, string> linkNames)
    {
        if (message.Type != RTM_NEWNEIGH)
        {
            return null;
        }
        var header = message.ReadHeader<ndmsg>();
        if (header.ndm_family is not AF_INET and not AF_INET6)
        {
            return null; // bridge fdb entries (AF_BRIDGE) answer a neighbour dump too
        }
        System.Net.IPAddress? address = null;
        PhysicalAddress? mac = null;
        var attributes = message.Attributes<ndmsg>();
        while (attributes.TryRead(out var attribute))
        {
            switch (attribute.Type)
            {
                case NDA_DST:
                    address = attribute.AsAddress();
                    break;
                case NDA_LLADDR:
                    mac = new PhysicalAddress(attribute.Payload.ToArray());
                    break;
            }
        }
        if (address is null)
        {
            return null;
        }
        return new NeighbourInfo
        {
            InterfaceIndex = header.ndm_ifindex,
            InterfaceName = linkNames.GetValueOrDefault(header.ndm_ifindex),
            Family = header.ndm_family == AF_INET ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6,
            Address = address,
            LinkLayerAddress = mac,
            State = (NeighbourState)header.ndm_state,
        };
    }
}
