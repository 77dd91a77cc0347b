using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Diagnostics;

// The dump and the queries behind it, against `ip -j` run inside the same namespace.
public sealed class NamespaceDumpTests
{
    [PrivilegedFact]
    public async Task Describe_matches_ip_link_addr_route_and_neigh_and_shows_a_listening_socket()
    {
        await using var net = new TopologyBuilder().AddHost("client").AddHost("server").Link("client", "server").Build();
        var server = net["server"];
        using var listener = server.Listen(new IPEndPoint(IPAddress.Any, 7000));
        // Traffic fills the neighbour tables.
        using (var socket = await net["client"].ConnectTcpAsync("server", 7000))
        using (await listener.AcceptAsync())
        {
        }
        var ns = server.Namespace;
        // The kernel's linkwatch sets operstate up to a second after the carrier: wait for it, so that
        // our read and ip's agree.
        for (int i = 0; i < 50 && ns.GetLinks().Any(l => l.Name == "eth0" && l.OperationalState != LinkOperationalState.Up); i++)
        {
            await Task.Delay(100);
        }
        var text = ns.Describe();

        foreach (var link in Oracle.IpJson(ns, "link", "show").EnumerateArray())
        {
            var name = link.GetProperty("ifname").GetString()!;
            var up = link.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "UP");
            var operstate = link.GetProperty("operstate").GetString();
            var state = !up ? "DOWN" : operstate is "UP" or "UNKNOWN" ? "UP" : $"UP ({operstate})";
            Assert.True(text.Contains($"  {name} {state} mtu {link.GetProperty("mtu").GetInt32()}", StringComparison.Ordinal), text);
        }
        foreach (var link in Oracle.IpJson(ns, "addr", "show").EnumerateArray())
        {
            foreach (var address in link.GetProperty("addr_info").EnumerateArray().Where(a => a.GetProperty("scope").GetString() != "link"))
            {
                Assert.Contains($" {address.GetProperty("local").GetString()}/{address.GetProperty("prefixlen").GetInt32()}", text, StringComparison.Ordinal);
            }
        }
        foreach (var route in Oracle.IpJson(ns, "route", "show").EnumerateArray())
        {
            var line = "  route " + route.GetProperty("dst").GetString()
                + (route.TryGetProperty("gateway", out var gw) ? " via " + gw.GetString() : "")
                + " dev " + route.GetProperty("dev").GetString();
            Assert.Contains(line, text, StringComparison.Ordinal);
        }
        var neighbours = Oracle.IpJson(ns, "neigh", "show").EnumerateArray().ToList();
        Assert.NotEmpty(neighbours);
        var ours = ns.GetNeighbours();
        foreach (var neighbour in neighbours)
        {
            var address = IPAddress.Parse(neighbour.GetProperty("dst").GetString()!);
            var record = Assert.Single(ours, n => n.Address.Equals(address));
            Assert.Equal(neighbour.GetProperty("dev").GetString(), record.InterfaceName);
            // An entry may move on (DELAY → REACHABLE) between two reads: ours must be ip's before or after.
            var ourState = record.State.ToString().ToUpperInvariant().Replace(", ", ",", StringComparison.Ordinal);
            var after = Oracle.IpJson(ns, "neigh", "show").EnumerateArray().Single(n => n.GetProperty("dst").GetString() == address.ToString());
            Assert.Contains(ourState, new[] { IpState(neighbour), IpState(after) });
            if (neighbour.TryGetProperty("lladdr", out var mac))
            {
                Assert.Contains($"  neigh {address} dev {record.InterfaceName} lladdr {mac.GetString()} ", text, StringComparison.Ordinal);
            }
        }

        Assert.Contains("  tcp LISTEN     0.0.0.0:7000 *", text, StringComparison.Ordinal);
        var listening = Assert.Single(ns.GetSockets(), s => s.IsListening);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7000), listening.Local);
        // The root namespace's sockets are not the host's: /proc/thread-self follows the namespace thread.
        Assert.DoesNotContain(net["client"].Namespace.GetSockets(), s => s.IsListening);
    }

    private static string IpState(JsonElement neighbour) =>
        string.Join(',', neighbour.GetProperty("state").EnumerateArray().Select(s => s.GetString()));

    [PrivilegedFact]
    public void A_fresh_namespace_describes_loopback_and_says_it_has_no_sockets()
    {
        using var ns = NetworkNamespace.Create();
        var text = ns.Describe();
        Assert.StartsWith(ns.ToString(), text, StringComparison.Ordinal);
        Assert.Contains("  lo UP mtu 65536 127.0.0.1/8 ::1/128", text, StringComparison.Ordinal);
        Assert.Contains("(no TCP or UDP sockets)", text, StringComparison.Ordinal);
        Assert.DoesNotContain(ns.GetNeighbours(), n => n.State != NeighbourState.NoArp);
    }

    [PrivilegedFact]
    public void A_udp_socket_shows_as_unconnected()
    {
        using var ns = NetworkNamespace.Create();
        using var socket = ns.CreateSocket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 5353));
        var udp = Assert.Single(ns.GetSockets());
        Assert.Equal((SocketProtocol.Udp, "UNCONN", new IPEndPoint(IPAddress.IPv6Loopback, 5353)), (udp.Protocol, udp.State, udp.Local));
        Assert.Contains("  udp UNCONN     [::1]:5353 *", ns.Describe(), StringComparison.Ordinal);
    }
}
