using System.Globalization;
using System.Text;

namespace Isolated.Net.NUnit;

// Failure output for a fresh namespace (a topology describes itself): what the test left inside it,
// read from the kernel, one line per link with its addresses, then the routes.
internal static class NamespaceDescription
{
    public static string Describe(NetworkNamespace ns)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"fresh namespace net:[{ns.Inode}]").AppendLine();
        try
        {
            var addresses = ns.GetAddresses();
            foreach (var link in ns.GetLinks())
            {
                text.Append(CultureInfo.InvariantCulture, $"  {link.Name} {(link.IsUp ? "UP" : "DOWN")} mtu {link.Mtu}");
                foreach (var address in addresses.Where(a => a.InterfaceIndex == link.Index))
                {
                    text.Append(CultureInfo.InvariantCulture, $" {address.Address}/{address.PrefixLength}");
                }
                text.AppendLine();
            }
            foreach (var route in ns.GetRoutes())
            {
                text.Append(CultureInfo.InvariantCulture, $"  route {(route.IsDefault ? "default" : route.Destination.ToString())}");
                text.Append(route.Gateway is null ? "" : " via " + route.Gateway).Append(route.OutputInterfaceName is null ? "" : " dev " + route.OutputInterfaceName).AppendLine();
            }
        }
        catch (Exception ex) when (ex is NetworkOperationException or ObjectDisposedException)
        {
            text.Append("  (cannot read the namespace: ").Append(ex.Message).AppendLine(")");
        }
        return text.ToString();
    }
}
