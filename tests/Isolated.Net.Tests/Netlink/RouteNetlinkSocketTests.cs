using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Isolated.Net.Netlink;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Netlink;

// What the socket does, checked against iproute2 (`ip -j`, run inside the namespace through nsenter)
// and against our own queries. Every namespace is fresh and anonymous; teardown is disposing it,
// which lets the kernel take the links, addresses and routes with it.
public class RouteNetlinkSocketTests
{
    private static readonly IPAddress A4 = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress B4 = IPAddress.Parse("10.0.0.2");
    private static readonly IPAddress A6 = IPAddress.Parse("fd00::1");
    private static readonly IPAddress B6 = IPAddress.Parse("fd00::2");

    [PrivilegedFact]
    public void Veth_pair_lands_in_both_namespaces_up_with_mtu_and_mac()
    {
        using var a = NetworkNamespace.Create();
        using var b = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        var macA = PhysicalAddress.Parse("02-00-00-00-0a-01");
        netlink.CreateVethPair(
            new VethEnd("va", a) { Mtu = 1400, MacAddress = macA },
            new VethEnd("vb", b) { Mtu = 1300 },
            up: true);

        var va = Single(Oracle.IpJson(a, "-d", "link", "show", "dev", "va"));
        Assert.Equal(1400, va.GetProperty("mtu").GetInt32());
        Assert.Equal("02:00:00:00:0a:01", va.GetProperty("address").GetString());
        Assert.Contains("UP", Flags(va));
        Assert.Contains("LOWER_UP", Flags(va)); // the peer is up too
        Assert.Equal("veth", va.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal((1, 1), (va.GetProperty("num_tx_queues").GetInt32(), va.GetProperty("num_rx_queues").GetInt32()));
        var vb = Single(Oracle.IpJson(b, "-d", "link", "show", "dev", "vb"));
        Assert.Equal(1300, vb.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", Flags(vb));
        Assert.Equal(va.GetProperty("ifindex").GetInt32(), vb.GetProperty("link_index").GetInt32());

        // Our own view agrees with iproute2's, link by link.
        AssertLinksMatchOracle(a);
        AssertLinksMatchOracle(b);
        var ours = a.GetLinks().Single(l => l.Name == "va");
        Assert.Equal("veth", ours.Kind);
        Assert.Equal(macA, ours.MacAddress);
        Assert.Equal(b.GetLinks().Single(l => l.Name == "vb").Index, ours.PeerIndex);
    }

    [PrivilegedFact]
    public void Veth_ends_can_be_given_their_indices()
    {
        using var a = NetworkNamespace.Create();
        using var b = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        netlink.CreateVethPair(new VethEnd("va", a) { Index = 100 }, new VethEnd("vb", b) { Index = 200 });
        Assert.Equal(100, netlink.GetLinkIndex("va"));
        using var inB = RouteNetlinkSocket.Open(b);
        Assert.Equal(200, inB.GetLinkIndex("vb"));
        Assert.False(inB.GetLinks().Single(l => l.Index == 200).IsUp);
    }

    [PrivilegedFact]
    public void Bridge_takes_and_releases_ports()
    {
        using var hub = NetworkNamespace.Create();
        using var a = NetworkNamespace.Create();
        using var b = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(hub);
        netlink.CreateBridge("br0", mtu: 1450, up: true);
        netlink.CreateVethPair(new VethEnd("p0", hub) { Mtu = 1450 }, new VethEnd("e0", a) { Mtu = 1450 }, up: true);
        netlink.CreateVethPair(new VethEnd("p1", hub) { Mtu = 1450 }, new VethEnd("e0", b) { Mtu = 1450 }, up: true);
        netlink.SetMaster("p0", "br0");
        int bridge = netlink.GetLinkIndex("br0");
        netlink.SetMaster(netlink.GetLinkIndex("p1"), bridge);

        var br0 = Single(Oracle.IpJson(hub, "-d", "link", "show", "dev", "br0"));
        Assert.Equal("bridge", br0.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1450, br0.GetProperty("mtu").GetInt32());
        Assert.Contains("UP", Flags(br0));
        Assert.Equal(["p0", "p1"], Names(Oracle.IpJson(hub, "link", "show", "master", "br0")));
        AssertLinksMatchOracle(hub);
        Assert.All(hub.GetLinks().Where(l => l.Name.StartsWith('p')), l => Assert.Equal(bridge, l.MasterIndex));

        netlink.ReleaseFromMaster("p1");
        Assert.Equal(["p0"], Names(Oracle.IpJson(hub, "link", "show", "master", "br0")));
        Assert.Null(hub.GetLinks().Single(l => l.Name == "p1").MasterIndex);
    }

    [PrivilegedFact]
    public void Link_state_mtu_mac_name_and_delete()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        netlink.CreateVethPair(new VethEnd("va"), new VethEnd("vb"));
        Assert.DoesNotContain("UP", Flags(Single(Oracle.IpJson(a, "link", "show", "dev", "va"))));

        netlink.SetLinkUp("va");
        netlink.SetMtu("va", 9000);
        netlink.SetMacAddress("va", PhysicalAddress.Parse("02-12-34-56-78-9a"));
        var va = Single(Oracle.IpJson(a, "link", "show", "dev", "va"));
        Assert.Contains("UP", Flags(va));
        Assert.Equal(9000, va.GetProperty("mtu").GetInt32());
        Assert.Equal("02:12:34:56:78:9a", va.GetProperty("address").GetString());

        netlink.SetLinkDown("va");
        Assert.DoesNotContain("UP", Flags(Single(Oracle.IpJson(a, "link", "show", "dev", "va"))));

        int index = netlink.GetLinkIndex("va");
        netlink.Rename("va", "renamed0");
        Assert.Equal(index, netlink.GetLinkIndex("renamed0"));
        Assert.Equal("renamed0", Single(Oracle.IpJson(a, "link", "show", "dev", "renamed0")).GetProperty("ifname").GetString());

        netlink.DeleteLink(index); // takes the peer with it
        Assert.Equal(["lo"], Names(Oracle.IpJson(a, "link", "show")));
        AssertLinksMatchOracle(a);
    }

    [PrivilegedFact]
    public void Addresses_ipv4_and_ipv6_match_ip_addr()
    {
        using var pair = new JoinedPair();
        var (a, netlink) = (pair.A, pair.Netlink);
        netlink.AddAddress("va", A4, 24);
        netlink.AddAddress("va", A6, 64);

        var info = Single(Oracle.IpJson(a, "addr", "show", "dev", "va")).GetProperty("addr_info").EnumerateArray().ToList();
        var v4 = info.Single(i => i.GetProperty("family").GetString() == "inet");
        Assert.Equal("10.0.0.1", v4.GetProperty("local").GetString());
        Assert.Equal(24, v4.GetProperty("prefixlen").GetInt32());
        Assert.Equal("10.0.0.255", v4.GetProperty("broadcast").GetString());
        Assert.Equal("global", v4.GetProperty("scope").GetString());
        var v6 = info.Single(i => i.GetProperty("family").GetString() == "inet6" && i.GetProperty("scope").GetString() == "global");
        Assert.Equal("fd00::1", v6.GetProperty("local").GetString());
        Assert.Equal(64, v6.GetProperty("prefixlen").GetInt32());
        Assert.True(v6.GetProperty("nodad").GetBoolean());
        Assert.False(v6.TryGetProperty("tentative", out _));

        // Our view agrees with iproute2's, address by address.
        var oracle = Oracle.IpJson(a, "addr", "show").EnumerateArray()
            .SelectMany(link => link.GetProperty("addr_info").EnumerateArray().Select(i => (
                Index: link.GetProperty("ifindex").GetInt32(),
                Name: link.GetProperty("ifname").GetString(),
                Address: i.GetProperty("local").GetString()!,
                Prefix: i.GetProperty("prefixlen").GetInt32(),
                Scope: i.GetProperty("scope").GetString()!)))
            .OrderBy(x => x.Address, StringComparer.Ordinal).ToList();
        var ours = a.GetAddresses()
            .Select(x => (Index: x.InterfaceIndex, Name: x.InterfaceName, Address: x.Address.ToString(), Prefix: x.PrefixLength, Scope: ScopeName(x.Scope)))
            .OrderBy(x => x.Address, StringComparer.Ordinal).ToList();
        Assert.Equal(oracle, ours);
        var ourV6 = a.GetAddresses().Single(x => x.Address.Equals(A6));
        Assert.True(ourV6.IsDadDisabled);
        Assert.False(ourV6.IsTentative);
        Assert.Equal(IPAddress.Parse("10.0.0.255"), a.GetAddresses().Single(x => x.Address.Equals(A4)).Broadcast);

        netlink.RemoveAddress("va", A4, 24);
        netlink.RemoveAddress("va", A6, 64);
        Assert.DoesNotContain(a.GetAddresses(), x => x.Address.Equals(A4) || x.Address.Equals(A6));
        Assert.Empty(Oracle.IpJson(a, "addr", "show", "dev", "va", "scope", "global").EnumerateArray().SelectMany(l => l.GetProperty("addr_info").EnumerateArray()));
    }

    [PrivilegedFact]
    public void Routes_of_every_type_match_ip_route()
    {
        using var pair = new JoinedPair();
        var (a, netlink) = (pair.A, pair.Netlink);
        int va = netlink.GetLinkIndex("va");
        netlink.AddAddress(va, A4, 24);
        netlink.AddAddress(va, A6, 64);
        RouteSpec[] routes =
        [
            RouteSpec.Default(B4),
            RouteSpec.Via(IPNetwork.Parse("10.1.0.0/16"), IPAddress.Parse("10.0.0.3")),
            RouteSpec.Device(IPNetwork.Parse("10.2.0.0/16"), va),
            RouteSpec.Reject(RouteType.Blackhole, IPNetwork.Parse("10.9.0.0/16")),
            RouteSpec.Reject(RouteType.Unreachable, IPNetwork.Parse("10.10.0.0/16")),
            RouteSpec.Reject(RouteType.Prohibit, IPNetwork.Parse("10.11.0.0/16")),
            RouteSpec.Default(B6, va),
            RouteSpec.Via(IPNetwork.Parse("fd00:1::/64"), IPAddress.Parse("fd00::3")),
            RouteSpec.Device(IPNetwork.Parse("fd00:2::/64"), va),
            RouteSpec.Reject(RouteType.Blackhole, IPNetwork.Parse("fd00:9::/64")),
            RouteSpec.Reject(RouteType.Unreachable, IPNetwork.Parse("fd00:10::/64")),
            RouteSpec.Reject(RouteType.Prohibit, IPNetwork.Parse("fd00:11::/64")),
        ];
        netlink.Execute([.. routes.Select(RouteRequest.AddRoute)]);

        var oracle = Oracle.IpJson(a, "route", "show").EnumerateArray()
            .Concat(Oracle.IpJson(a, "-6", "route", "show").EnumerateArray())
            .Select(r => (
                Type: r.TryGetProperty("type", out var t) ? t.GetString()! : "unicast",
                Destination: r.GetProperty("dst").GetString()!,
                Gateway: r.TryGetProperty("gateway", out var g) ? g.GetString() : null,
                Device: r.TryGetProperty("dev", out var d) ? d.GetString() : null,
                Protocol: r.TryGetProperty("protocol", out var p) ? p.GetString()! : "boot"))
            .OrderBy(r => r.Destination, StringComparer.Ordinal).ThenBy(r => r.Type, StringComparer.Ordinal).ToList();
        var ours = a.GetRoutes()
            .Select(r => (
                Type: r.Type.ToString().ToLowerInvariant(),
                Destination: r.IsDefault ? "default" : r.Destination.ToString(),
                Gateway: r.Gateway?.ToString(),
                Device: r.OutputInterfaceName,
                Protocol: r.Protocol.ToString().ToLowerInvariant()))
            .OrderBy(r => r.Destination, StringComparer.Ordinal).ThenBy(r => r.Type, StringComparer.Ordinal).ToList();
        Assert.Equal(oracle, ours);
        foreach (var route in routes)
        {
            Assert.Contains(ours, r => string.Equals(r.Type, route.Type.ToString(), StringComparison.OrdinalIgnoreCase) && r.Protocol == "boot"
                && r.Destination == (route.Destination.PrefixLength == 0 ? "default" : route.Destination.ToString())
                && r.Gateway == route.Gateway?.ToString());
        }
        Assert.Contains(a.GetRoutes(), r => r.IsDefault && r.Family == AddressFamily.InterNetwork && r.Gateway!.Equals(B4) && r.OutputInterfaceIndex == va);

        netlink.Execute([.. routes.Select(RouteRequest.RemoveRoute)]);
        Assert.DoesNotContain(a.GetRoutes(), r => r.Protocol == RouteProtocol.Boot);
        Assert.DoesNotContain(Oracle.IpJson(a, "route", "show").EnumerateArray(), r => r.TryGetProperty("protocol", out _) is false);
    }

    [PrivilegedFact]
    public void Fresh_namespace_has_loopback_only()
    {
        using var a = NetworkNamespace.Create();
        var lo = Assert.Single(a.GetLinks());
        Assert.Equal(("lo", 1, "loopback", true), (lo.Name, lo.Index, lo.Kind, lo.IsUp));
        Assert.Contains(a.GetAddresses(), x => x.Address.Equals(IPAddress.Loopback) && x.PrefixLength == 8 && x.Scope == NetworkScope.Host && x.InterfaceName == "lo");
        Assert.DoesNotContain(a.GetRoutes(), r => r.Family == AddressFamily.InterNetwork); // 127/8 lives in the local table
        using var netlink = RouteNetlinkSocket.Open(a);
        Assert.Contains(netlink.GetRoutes(AddressFamily.InterNetwork, RouteInfo.LocalTable), r => r.Type == RouteType.Local && r.Destination == IPNetwork.Parse("127.0.0.1/32"));
        Assert.Contains(netlink.GetRoutes(AddressFamily.InterNetwork, table: 0), r => r.Table == RouteInfo.LocalTable);
    }

    [PrivilegedFact]
    public void Tcp_over_a_configured_veth_in_both_families()
    {
        using var pair = new JoinedPair();
        var (a, b) = (pair.A, pair.B);
        int va = pair.Netlink.GetLinkIndex("va");
        pair.Netlink.Execute(RouteRequest.AddAddress(va, A4, 24), RouteRequest.AddAddress(va, A6, 64)); // one datagram
        b.Netlink.AddAddress("vb", B4, 24); // B's own socket, cached by the namespace
        b.Netlink.AddAddress("vb", B6, 64);
        foreach (var (server, client) in new[] { (B4, A4), (B6, A6) })
        {
            using var listener = b.Listen(new IPEndPoint(server, 0));
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            using var socket = a.CreateSocket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(new IPEndPoint(server, port));
            using var accepted = listener.Accept();
            Assert.Equal(client, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
            socket.Send("ping"u8);
            var buffer = new byte[4];
            Assert.Equal(4, accepted.Receive(buffer));
            accepted.Send("pong"u8);
            Assert.Equal(4, socket.Receive(buffer));
            Assert.Equal("pong", Encoding.ASCII.GetString(buffer));
        }
    }

    [PrivilegedFact]
    public void Duplicate_name_is_name_in_use_with_the_kernels_words()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        netlink.CreateVethPair(new VethEnd("a0"), new VethEnd("b0"));
        var error = Assert.Throws<NameInUseException>(() => netlink.CreateVethPair(new VethEnd("a0"), new VethEnd("b0")));
        Assert.StartsWith("creating veth pair 'a0'/'b0' failed: EEXIST (File exists)", error.Message, StringComparison.Ordinal);
        Assert.Equal("EEXIST", error.ErrnoName);
        if (error.KernelMessage is not null)
        {
            Assert.Contains(error.KernelMessage, error.Message, StringComparison.Ordinal);
        }

        netlink.CreateBridge("br0");
        var bridge = Assert.Throws<NameInUseException>(() => netlink.CreateBridge("br0"));
        Assert.StartsWith("creating bridge 'br0' failed: EEXIST", bridge.Message, StringComparison.Ordinal);

        netlink.AddAddress("a0", A4, 24);
        var address = Assert.Throws<NameInUseException>(() => netlink.AddAddress("a0", A4, 24));
        Assert.StartsWith("adding address 10.0.0.1/24 to link #", address.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Unknown_link_is_enodev()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        var up = Assert.Throws<NetworkOperationException>(() => netlink.SetLinkUp("nope0"));
        Assert.Equal(("ENODEV", "setting link 'nope0' up"), (up.ErrnoName, up.Operation));
        var lookup = Assert.Throws<NetworkOperationException>(() => netlink.GetLinkIndex("nope0"));
        Assert.Equal(Interop.Interop.ENODEV, lookup.Errno);
        var byIndex = Assert.Throws<NetworkOperationException>(() => netlink.SetMtu(4242, 1500));
        Assert.Equal(Interop.Interop.ENODEV, byIndex.Errno);
        var address = Assert.Throws<NetworkOperationException>(() => netlink.AddAddress(4242, A4, 24));
        Assert.Equal(Interop.Interop.ENODEV, address.Errno);
    }

    [PrivilegedFact]
    public void Bad_arguments_fail_before_the_kernel_is_asked()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        // Were the name looked up first, these would be ENODEV: validation runs before any request.
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.AddAddress("nope0", A4, 33));
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.RemoveAddress("nope0", A6, 129));
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.AddAddress("nope0", A4, -1));
        var name = Assert.Throws<ArgumentException>(() => netlink.CreateVethPair(new VethEnd("a-name-far-too-long"), new VethEnd("b0")));
        Assert.Contains("'a-name-far-too-long'", name.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => netlink.AddRoute(new RouteSpec(IPNetwork.Parse("10.1.0.0/16"))));
        Assert.Throws<ArgumentException>(() => netlink.AddRoute(RouteSpec.Via(IPNetwork.Parse("10.1.0.0/16"), B6)));
        Assert.Throws<ArgumentOutOfRangeException>(() => netlink.SetMtu("nope0", 0));
        Assert.Equal(["lo"], Names(Oracle.IpJson(a, "link", "show")));
    }

    [PrivilegedFact]
    public void Kernel_rejects_an_mtu_below_the_minimum_with_einval()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        netlink.CreateVethPair(new VethEnd("va"), new VethEnd("vb"));
        var error = Assert.Throws<NetworkOperationException>(() => netlink.SetMtu("va", 10));
        Assert.Equal("EINVAL", error.ErrnoName);
        Assert.NotNull(error.KernelMessage);
        Assert.Contains("mtu", error.KernelMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(error.KernelMessage, error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void A_batch_reports_its_first_failure_after_the_kernel_ran_the_rest()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        netlink.CreateVethPair(new VethEnd("va"), new VethEnd("vb"));
        int va = netlink.GetLinkIndex("va");
        var error = Assert.Throws<NameInUseException>(() => netlink.Execute(
            RouteRequest.AddAddress(va, A4, 24),
            RouteRequest.AddAddress(va, A4, 24),
            RouteRequest.AddAddress(va, A6, 64)));
        Assert.StartsWith("adding address 10.0.0.1/24", error.Message, StringComparison.Ordinal);
        Assert.Contains(a.GetAddresses(), x => x.Address.Equals(A6));
    }

    [PrivilegedFact]
    public void Batches_over_one_datagram_and_dumps_over_several_parts()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        var bridges = Enumerable.Range(0, 70).Select(i => $"br{i}").ToList();
        netlink.Execute([.. bridges.Select(name => RouteRequest.CreateBridge(name, null, up: false))]);
        var links = netlink.GetLinks();
        Assert.Equal(71, links.Count);
        Assert.Equal(bridges.Order(StringComparer.Ordinal), links.Where(l => l.Kind == "bridge").Select(l => l.Name).Order(StringComparer.Ordinal));
        Assert.Equal(71, Oracle.IpJson(a, "link", "show").GetArrayLength());
    }

    [PrivilegedFact]
    public void Socket_is_usable_from_any_thread_at_once()
    {
        using var a = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(a);
        Parallel.For(0, 8, i =>
        {
            netlink.CreateBridge($"br{i}");
            Assert.Equal($"br{i}", netlink.GetLinks().Single(l => l.Index == netlink.GetLinkIndex($"br{i}")).Name);
        });
        Assert.Equal(9, a.GetLinks().Count);
    }

    [PrivilegedFact]
    public void Disposed_namespace_refuses_queries()
    {
        var a = NetworkNamespace.Create();
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.GetLinks());
    }

    // Two fresh namespaces joined by a veth pair, va in A and vb in B, both up; Netlink is A's socket.
    private sealed class JoinedPair : IDisposable
    {
        public JoinedPair()
        {
            A = NetworkNamespace.Create();
            B = NetworkNamespace.Create();
            try
            {
                Netlink = RouteNetlinkSocket.Open(A);
                Netlink.CreateVethPair(new VethEnd("va", A), new VethEnd("vb", B), up: true);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public NetworkNamespace A { get; }

        public NetworkNamespace B { get; }

        public RouteNetlinkSocket Netlink { get; } = null!;

        public void Dispose()
        {
            Netlink?.Dispose();
            B.Dispose();
            A.Dispose();
        }
    }

    private static void AssertLinksMatchOracle(NetworkNamespace ns)
    {
        var oracle = Oracle.IpJson(ns, "-d", "link", "show").EnumerateArray()
            .Select(l => (
                Index: l.GetProperty("ifindex").GetInt32(),
                Name: l.GetProperty("ifname").GetString(),
                Kind: l.TryGetProperty("linkinfo", out var info) ? info.GetProperty("info_kind").GetString() : l.GetProperty("link_type").GetString(),
                Up: Flags(l).Contains("UP"),
                Mtu: l.GetProperty("mtu").GetInt32(),
                Mac: l.GetProperty("address").GetString(),
                Master: l.TryGetProperty("master", out var master) ? master.GetString() : null,
                Peer: l.TryGetProperty("link_index", out var peer) ? peer.GetInt32() : (int?)null))
            .ToList();
        var ours = ns.GetLinks();
        var names = ours.ToDictionary(l => l.Index, l => l.Name);
        var mine = ours.Select(l => (
                Index: l.Index,
                Name: (string?)l.Name,
                Kind: l.Kind,
                Up: l.IsUp,
                Mtu: l.Mtu,
                Mac: l.MacAddress is null ? null : RouteRequest.FormatMac(l.MacAddress.GetAddressBytes()),
                Master: l.MasterIndex is int m ? names[m] : null,
                Peer: l.PeerIndex))
            .ToList();
        Assert.Equal(oracle, mine);
    }

    private static JsonElement Single(JsonElement array) => Assert.Single(array.EnumerateArray());

    private static List<string> Flags(JsonElement link) => [.. link.GetProperty("flags").EnumerateArray().Select(f => f.GetString()!)];

    private static List<string> Names(JsonElement links) => [.. links.EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).Order(StringComparer.Ordinal)];

    private static string ScopeName(NetworkScope scope) => scope switch
    {
        NetworkScope.Global => "global",
        NetworkScope.Link => "link",
        NetworkScope.Host => "host",
        _ => scope.ToString().ToLowerInvariant(),
    };
}
