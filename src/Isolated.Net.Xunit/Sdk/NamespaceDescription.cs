using System.Globalization;
using System.Text;

namespace Isolated.Net.Xunit.Sdk;

// A fresh namespace's links, addresses and main-table routes, read live from the kernel. (Topology
// hosts have Topology.Describe(); a plain namespace has no such method in core yet.)
internal static class NamespaceDescription
{
    public static void Append(StringBuilder text, NetworkNamespace ns)
    {
        try
        {
            var addresses = ns.GetAddresses();
            foreach (var link in ns.GetLinks())
            {
                text.Append(CultureInfo.InvariantCulture, $"  link {link.Index}: {link.Name} {(link.IsUp ? "up" : "down")} mtu {link.Mtu}");
                foreach (var address in addresses.Where(a => a.InterfaceIndex == link.Index))
                {
                    text.Append(CultureInfo.InvariantCulture, $" {address.Address}/{address.PrefixLength}");
                }
                text.AppendLine();
            }
            var routes = ns.GetRoutes().Where(r => r.Table == RouteInfo.MainTable && !r.Destination.BaseAddress.IsIPv6LinkLocal).ToList();
            foreach (var route in routes)
            {
                text.Append("  route ").Append(route.Destination.ToString());
                if (route.Gateway is not null)
                {
                    text.Append(" via ").Append(route.Gateway);
                }
                text.Append(" dev ").AppendLine(route.OutputInterfaceName ?? "?");
            }
            if (routes.Count == 0)
            {
                text.AppendLine("  (no routes in the main table)");
            }
        }
        catch (Exception ex) when (ex is NetworkOperationException or ObjectDisposedException)
        {
            text.Append("  (cannot read the namespace: ").Append(ex.Message).AppendLine(")");
        }
    }
}
