using Isolated.Net.Interop;
using Isolated.Net.Netlink;

namespace Isolated.Net.Namespaces;

// What a topology host needs before the first request, done by the namespace thread on its way in (one
// hop instead of one per step): no duplicate address detection (a tentative link-local address delays
// neighbour discovery through routers by seconds; every address here is unique by construction),
// forwarding on routers, and the rtnetlink socket the build uses, opened where it belongs.
internal readonly record struct NamespacePreparation(bool NoDuplicateAddressDetection, bool Forwarding, bool OpenNetlink)
{
    public static NamespacePreparation Host(bool isRouter) => new(true, isRouter, true);

    public (NetlinkSocketHandle Handle, uint PortId)? ApplyHere()
    {
        if (NoDuplicateAddressDetection)
        {
            // Equivalent to: sysctl -w net.ipv6.conf.{all,default}.accept_dad=0
            NamespaceSysctl.WriteHere("net/ipv6/conf/all/accept_dad", "0");
            NamespaceSysctl.WriteHere("net/ipv6/conf/default/accept_dad", "0");
        }
        if (Forwarding)
        {
            // Equivalent to: sysctl -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
            NamespaceSysctl.WriteHere("net/ipv4/ip_forward", "1");
            NamespaceSysctl.WriteHere("net/ipv6/conf/all/forwarding", "1");
        }
        return OpenNetlink ? RouteNetlinkSocket.OpenHere() : null;
    }
}
