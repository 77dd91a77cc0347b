using Isolated.Net.Testing;

namespace Isolated.Net.FluentAssertions.Tests;

// The topologies the assertion tests probe, and iproute2 as the independent hand that breaks them.
internal static class Networks
{
    // server 10.0.1.1 / fd7a:15e:0:1::1, client 10.0.1.2 / fd7a:15e:0:1::2, on switch "lan".
    public static Topology Lan() => new TopologyBuilder()
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")
        .AddHost("client").Connect("client", "lan")
        .Build();

    // a 10.0.1.1 <-> b 10.0.1.2 on one veth pair.
    public static Topology Pair() => new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();

    // a 10.0.1.2 - r - b 10.0.2.2, without default routes: a has no route to b's subnet.
    public static Topology RoutedWithoutRoutes() => new TopologyBuilder()
        .AddSwitch("left").AddSwitch("right")
        .AddRouter("r").Connect("r", "left").Connect("r", "right")
        .AddHost("a").Connect("a", "left")
        .AddHost("b").Connect("b", "right")
        .WithoutDefaultRoutes()
        .Build();

    // Runs `ip ARGS` inside the host's namespace and fails the test if it fails.
    public static void Ip(NetHost host, params string[] args)
    {
        var (code, _, stderr) = Oracle.Exec("nsenter", ["--net=" + host.Namespace.ProcPath, "ip", .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} in host '{host.Name}' failed ({code}): {stderr}");
        }
    }
}
