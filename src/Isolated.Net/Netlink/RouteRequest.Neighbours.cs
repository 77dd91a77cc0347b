using System.Net.Sockets;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

internal sealed partial class RouteRequest
{
    // Equivalent to: ip neigh show (family AF_UNSPEC: ARP and NDP entries)
    public static RouteRequest DumpNeighbours(AddressFamily family = AddressFamily.Unspecified)
    {
        byte familyByte = FamilyByte(family, allowUnspecified: true);
        return new("listing neighbours", (writer, sequence) =>
            writer.BeginMessage(RTM_GETNEIGH, DumpFlags, sequence, new ndmsg { ndm_family = familyByte }), isDump: true);
    }
}
