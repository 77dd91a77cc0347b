using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netlink;
using Microsoft.Extensions.Logging;

namespace Isolated.Net.Faults;

// Link down and up: what the kernel forgets when an interface goes down, kept so that up restores it.
internal sealed partial class TopologyFaults
{
    private static readonly TimeSpan CarrierTimeout = TimeSpan.FromSeconds(5);

    // Equivalent to: ip link set dev IFACE down (remembering what the kernel will forget)
    public void SetDown(IEnumerable<HostInterface> interfaces)
    {
        lock (_lock)
        {
            foreach (var hostInterface in interfaces)
            {
                if (_down.ContainsKey(hostInterface))
                {
                    continue;
                }
                var device = HostDevice(hostInterface);
                var netlink = device.Namespace.Netlink;
                var addresses = netlink.GetAddresses()
                    .Where(a => a.InterfaceIndex == device.Index && !a.Address.IsIPv6LinkLocal)
                    .ToList();
                var routes = netlink.GetRoutes(AddressFamily.Unspecified, table: 0)
                    .Where(r => r.OutputInterfaceIndex == device.Index && r.Protocol != RouteProtocol.Kernel
                        && r.Type == RouteType.Unicast && r.Table != RouteInfo.LocalTable)
                    .ToList();
                netlink.SetLinkDown(device.Index);
                _down.Add(hostInterface, new DownSnapshot(addresses, routes));
                if (logger?.IsEnabled(LogLevel.Information) == true)
                {
                    logger.LogInformation("Set {Interface} down", hostInterface);
                }
            }
        }
    }

    // Equivalent to: ip link set dev IFACE up; then ip addr add / ip route add for what went with "down"
    // Every end comes up before any is restored: a gateway is only accepted on a link that is up.
    public void SetUp(IEnumerable<HostInterface> interfaces)
    {
        lock (_lock)
        {
            var list = interfaces.ToList();
            foreach (var hostInterface in list)
            {
                var device = HostDevice(hostInterface);
                device.Namespace.Netlink.SetLinkUp(device.Index);
            }
            foreach (var hostInterface in list)
            {
                if (!_down.ContainsKey(PeerInterface(hostInterface) ?? hostInterface))
                {
                    WaitForCarrier(HostDevice(hostInterface));
                }
            }
            foreach (var hostInterface in list)
            {
                if (_down.Remove(hostInterface, out var snapshot))
                {
                    Restore(HostDevice(hostInterface), snapshot);
                    if (logger?.IsEnabled(LogLevel.Information) == true)
                    {
                        logger.LogInformation("Set {Interface} up", hostInterface);
                    }
                }
            }
        }
    }

    public bool IsDown(HostInterface hostInterface)
    {
        lock (_lock)
        {
            return _down.ContainsKey(hostInterface);
        }
    }

    // The kernel turns carrier on (and swaps the noop qdisc for the real one) from its link-watch
    // work, up to a second after "up"; packets sent before that are dropped. So "up" returns once the
    // interface is operationally up, and the link is usable at once.
    private static void WaitForCarrier(FaultDevice device)
    {
        var deadline = DateTime.UtcNow + CarrierTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (device.Namespace.Netlink.GetLinks().FirstOrDefault(l => l.Index == device.Index) is { OperationalState: LinkOperationalState.Up })
            {
                return;
            }
            Thread.Sleep(10);
        }
    }

    private static void Restore(FaultDevice device, DownSnapshot snapshot)
    {
        var netlink = device.Namespace.Netlink;
        var present = netlink.GetAddresses().Where(a => a.InterfaceIndex == device.Index).ToList();
        var addresses = snapshot.Addresses
            .Where(a => !present.Any(p => p.Address.Equals(a.Address) && p.PrefixLength == a.PrefixLength))
            .Select(a => RouteRequest.AddAddress(device.Index, a.Address, a.PrefixLength))
            .ToArray();
        if (addresses.Length > 0)
        {
            netlink.Execute(addresses);
        }
        var routes = netlink.GetRoutes(AddressFamily.Unspecified, table: 0);
        var missing = snapshot.Routes
            .Where(r => !routes.Any(p => p.Destination.Equals(r.Destination) && Equals(p.Gateway, r.Gateway) && p.Table == r.Table
                && p.Metric == r.Metric && p.OutputInterfaceIndex == r.OutputInterfaceIndex))
            .Select(r => RouteRequest.AddRoute(new RouteSpec(r.Destination)
            {
                Gateway = r.Gateway,
                OutputInterfaceIndex = device.Index,
                Table = r.Table,
                Metric = r.Metric,
            }))
            .ToArray();
        if (missing.Length > 0)
        {
            netlink.Execute(missing);
        }
    }

    private sealed record DownSnapshot(List<AddressInfo> Addresses, List<RouteInfo> Routes);
}
