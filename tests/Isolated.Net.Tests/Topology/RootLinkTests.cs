using System.Net;
using System.Net.Sockets;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Topology;

public sealed class RootLinkTests
{
    private const string RootlessReason = "a root link changes the machine's network namespace, which isolated-net exec's user namespace does not own";

    [PrivilegedFact(NotRootless = RootlessReason)]
    public async Task A_host_reaches_a_service_on_the_machine_through_its_root_link_and_dispose_removes_it()
    {
        await using var net = new TopologyBuilder().AddHost("app").Build();
        var link = net.ConnectToRoot("app");
        try
        {
            // A "service on the machine": a listener in the root namespace, bound to the link's root side only.
            using var service = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            service.Bind(new IPEndPoint(link.RootAddress.Address, 0));
            service.Listen();
            int port = ((IPEndPoint)service.LocalEndPoint!).Port;

            using var client = await net["app"].ConnectTcpAsync(link.RootAddress.Address.ToString(), port);
            using var accepted = await service.AcceptAsync();
            Assert.Equal(link.HostAddress.Address, ((IPEndPoint)accepted.RemoteEndPoint!).Address);

            // The machine's view (ip, outside our code): the tagged link and its /30.
            var shown = Oracle.Exec("ip", "-j", "addr", "show", "dev", link.RootInterfaceName);
            Assert.Equal(0, shown.ExitCode);
            Assert.Contains(link.RootAddress.Address.ToString(), shown.Stdout, StringComparison.Ordinal);
            Assert.Contains("isolated-net:" + Environment.ProcessId, Oracle.Exec("ip", "-d", "link", "show", link.RootInterfaceName).Stdout, StringComparison.Ordinal);
        }
        finally
        {
            link.Dispose();
        }
        Assert.DoesNotContain(link.RootInterfaceName, Oracle.Exec("ip", "-o", "link", "show").Stdout, StringComparison.Ordinal);
    }

    [PrivilegedFact(NotRootless = RootlessReason)]
    public async Task Disposing_the_topology_takes_the_root_link_with_it()
    {
        var net = new TopologyBuilder().AddHost("app").Build();
        var link = net.ConnectToRoot("app", "169.254.250.0/30");
        Assert.Equal("169.254.250.1/30", link.RootAddress.ToString());
        await net.DisposeAsync();
        // The kernel removes the pair with the host's namespace (asynchronously).
        SpinWait.SpinUntil(() => !Oracle.Exec("ip", "-o", "link", "show").Stdout.Contains(link.RootInterfaceName, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(link.RootInterfaceName, Oracle.Exec("ip", "-o", "link", "show").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_subnet_is_rejected_before_the_kernel_is_touched()
    {
        // Validation needs no namespace: an empty topology object would do, but Build needs privilege;
        // the argument check runs first either way.
        if (NetworkPrivileges.MissingReason is not null)
        {
            return;
        }
        await using var net = new TopologyBuilder().AddHost("app").Build();
        Assert.Throws<ArgumentException>(() => net.ConnectToRoot("app", "10.0.0.0/24"));
        Assert.Throws<ArgumentException>(() => net.ConnectToRoot("app", "169.254.1.1/30"));
        Assert.Throws<KeyNotFoundException>(() => net.ConnectToRoot("nobody"));
    }

    [PrivilegedFact]
    public async Task Rootless_a_root_link_into_the_machines_namespace_fails_clearly_and_changes_nothing()
    {
        if (!NetworkPrivileges.IsRootless || Isolated.Net.Namespaces.UserNamespaces.OwnsNetworkNamespace("/proc/self/ns/net"))
        {
            return; // as root (or under exec --net) root links work: the tests above cover them
        }
        await using var net = new TopologyBuilder().AddHost("app").Build();
        var error = Assert.Throws<NotSupportedException>(() => net.ConnectToRoot("app"));
        Assert.Contains("not available rootless", error.Message, StringComparison.Ordinal);
        Assert.Contains("isolated-net exec --net", error.Message, StringComparison.Ordinal);
        Assert.Empty(net["app"].Namespace.Run(() => System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.Name.StartsWith("root", StringComparison.Ordinal)).ToList()));
    }
}
