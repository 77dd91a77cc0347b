using System.Net.Sockets;

namespace Isolated.Net.Netlink;

internal sealed unsafe partial class RouteNetlinkSocket
{
    // Equivalent to: ip neigh show (names resolved through one link dump)
    public IReadOnlyList<NeighbourInfo> GetNeighbours(AddressFamily family = AddressFamily.Unspecified)
    {
        var request = RouteRequest.DumpNeighbours(family);
        var names = LinkNames();
        return Query(request, message => NeighbourMessageParser.Parse(message, names));
    }
}
