using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Isolated.Net.Netfilter;
using Isolated.Net.Testing;
using Xunit;
using static Isolated.Net.Interop.Interop;
using static Isolated.Net.Tests.Faults.FaultTraffic;

namespace Isolated.Net.Tests.Netfilter;

// The engine against the kernel, with `nft` run inside the namespace as the independent oracle, and real
// traffic between namespaces the test made (never to or from the root namespace).
public sealed class NftTableTests
{
    // Only failure bounds: passing runs take milliseconds.
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1.5);

    private static JsonElement NftJson(NetworkNamespace ns)
    {
        var (code, stdout, stderr) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "nft", "-j", "list", "ruleset");
        if (code != 0)
        {
            throw new InvalidOperationException($"nft -j list ruleset failed ({code}): {stderr}");
        }
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.GetProperty("nftables").Clone();
    }

    private static IEnumerable<JsonElement> Objects(JsonElement nftables, string kind) =>
        nftables.EnumerateArray().Where(o => o.TryGetProperty(kind, out _)).Select(o => o.GetProperty(kind));

    // The rules of a chain as `nft list chain` prints them, one line each, without handles.
    private static string[] RuleLines(NetworkNamespace ns, string chain)
    {
        var (code, stdout, stderr) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "nft", "list", "chain", "inet", NftRuleset.DefaultTable, chain);
        if (code != 0)
        {
            throw new InvalidOperationException($"nft list chain failed ({code}): {stderr}");
        }
        return [.. stdout.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("table ", StringComparison.Ordinal) && !l.StartsWith("chain ", StringComparison.Ordinal) && !l.StartsWith("type ", StringComparison.Ordinal) && l != "}")];
    }

    // NETLINK_NETFILTER sockets bound in the namespace other than the kernel's own (port id 0), from
    // /proc/net/netlink read inside it: "sk Eth Pid Groups ...".
    private static int NetfilterSocketsIn(NetworkNamespace ns)
    {
        var (_, stdout, _) = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "cat", "/proc/net/netlink");
        return stdout.Split('\n').Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(f => f.Length > 2 && f[1] == "12" && f[2] != "0");
    }

    // Where the links point; a thread that ended or an fd closed meanwhile is skipped.
    private static List<string> LinkTargets(IEnumerable<string> links)
    {
        var targets = new List<string>();
        foreach (var link in links)
        {
            try
            {
                if (new FileInfo(link).LinkTarget is { } target)
                {
                    targets.Add(target);
                }
            }
            catch (IOException)
            {
            }
        }
        return targets;
    }

    [PrivilegedFact(Tools = "nft")]
    public void An_applied_ruleset_is_what_nft_lists_and_applying_again_replaces_it()
    {
        using var ns = NetworkNamespace.Create();
        var ruleset = new NftRuleset();
        ruleset.Chain("cut").Add(new NftRule { Protocol = ProtocolType.Udp, DestinationPort = 9000, Action = NftAction.Drop });
        var input = ruleset.Chain(NftHook.Input);
        input.Policy = NftPolicy.Drop;
        input.Add(new NftRule { States = NftConnectionStates.Established | NftConnectionStates.Related, Action = NftAction.Accept })
            .Add(new NftRule { InInterface = "lo", Source = IPNetwork.Parse("127.0.0.0/8"), Protocol = ProtocolType.Tcp, DestinationPort = 22, Counter = true, Action = NftAction.Accept })
            .Add(new NftRule { Source = IPNetwork.Parse("fd7a:15e:0:1::/64"), Action = NftAction.Jump("cut") })
            .Add(new NftRule { Protocol = ProtocolType.Tcp, Action = NftAction.Reject(NftRejectKind.TcpReset) })
            .Add(new NftRule { Action = NftAction.Reject(NftRejectKind.AdminProhibited) });
        ruleset.Chain(NftHook.Output);
        ruleset.Chain(NftHook.Prerouting).Add(new NftRule { Destination = IPNetwork.Parse("10.9.0.1/32"), Protocol = ProtocolType.Tcp, DestinationPort = 8080, Action = NftAction.DestinationNat(IPAddress.Parse("10.9.0.2"), 80) });
        ruleset.Chain(NftHook.Postrouting).Add(new NftRule { OutInterface = "lo", Action = NftAction.Masquerade })
            .Add(new NftRule { Source = IPNetwork.Parse("fd7a:15e::/48"), Action = NftAction.SourceNat(IPAddress.Parse("fd7a:15e:0:2::1")) });

        NftTable.Apply(ns, ruleset);
        NftTable.Apply(ns, ruleset); // idempotent: the same ruleset again, not twice the rules

        Assert.Equal(1, NetfilterSocketsIn(ns)); // every call uses the namespace's one socket, kept open
        var listed = NftJson(ns);
        var table = Assert.Single(Objects(listed, "table"));
        Assert.Equal("inet", table.GetProperty("family").GetString());
        Assert.Equal("isolated_net", table.GetProperty("name").GetString());
        var chains = Objects(listed, "chain").ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal(["cut", "input", "output", "postrouting", "prerouting"], chains.Keys.Order(StringComparer.Ordinal));
        Assert.False(chains["cut"].TryGetProperty("hook", out _));
        Assert.Equal(("filter", "input", 0, "drop"), (chains["input"].GetProperty("type").GetString(), chains["input"].GetProperty("hook").GetString(), chains["input"].GetProperty("prio").GetInt32(), chains["input"].GetProperty("policy").GetString()));
        Assert.Equal(("filter", "output", 0, "accept"), (chains["output"].GetProperty("type").GetString(), chains["output"].GetProperty("hook").GetString(), chains["output"].GetProperty("prio").GetInt32(), chains["output"].GetProperty("policy").GetString()));
        Assert.Equal(("nat", "prerouting", -100), (chains["prerouting"].GetProperty("type").GetString(), chains["prerouting"].GetProperty("hook").GetString(), chains["prerouting"].GetProperty("prio").GetInt32()));
        Assert.Equal(("nat", "postrouting", 100), (chains["postrouting"].GetProperty("type").GetString(), chains["postrouting"].GetProperty("hook").GetString(), chains["postrouting"].GetProperty("prio").GetInt32()));
        Assert.Equal(9, Objects(listed, "rule").Count());

        // The rules, as nft itself decodes them from the kernel.
        Assert.Equal(["udp dport 9000 drop"], RuleLines(ns, "cut"));
        Assert.Equal(
            [
                "ct state established,related accept",
                "iifname \"lo\" ip saddr 127.0.0.0/8 tcp dport 22 counter packets 0 bytes 0 accept",
                "ip6 saddr fd7a:15e:0:1::/64 jump cut",
                "meta l4proto tcp reject with tcp reset",
                "reject with icmpx admin-prohibited",
            ],
            RuleLines(ns, "input"));
        Assert.Equal(["ip daddr 10.9.0.1 tcp dport 8080 dnat ip to 10.9.0.2:80"], RuleLines(ns, "prerouting"));
        Assert.Equal(["oifname \"lo\" masquerade", "ip6 saddr fd7a:15e::/48 snat ip6 to fd7a:15e:0:2::1"], RuleLines(ns, "postrouting"));

        // Applying another ruleset replaces the whole table.
        var smaller = new NftRuleset();
        smaller.Chain(NftHook.Output).Add(new NftRule { Protocol = ProtocolType.Udp, Action = NftAction.Drop });
        NftTable.Apply(ns, smaller);
        listed = NftJson(ns);
        Assert.Equal(["output"], Objects(listed, "chain").Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(["meta l4proto udp drop"], RuleLines(ns, "output"));

        NftTable.Clear(ns);
        Assert.Empty(Objects(NftJson(ns), "table"));
        NftTable.Clear(ns); // nothing to clear: not an error
        Assert.Equal(1, NetfilterSocketsIn(ns)); // still the namespace's one socket, not one per call
    }

    [PrivilegedFact(Tools = "nft")]
    public void A_message_the_kernel_refuses_fails_the_whole_transaction_and_names_what_and_where()
    {
        using var ns = NetworkNamespace.Create();
        var before = new NftRuleset();
        before.Chain(NftHook.Input).Add(new NftRule { Protocol = ProtocolType.Udp, DestinationPort = 53, Action = NftAction.Drop });
        NftTable.Apply(ns, before);

        // A rule jumping to a chain that does not exist: our model refuses it, so send the raw messages.
        var messages = new List<NftMessage>(NftRuleset.ClearMessages())
        {
            NftMessage.NewTable(NftRuleset.Family, NftRuleset.DefaultTable),
            NftMessage.NewChain(NftRuleset.Family, NftRuleset.DefaultTable, new NftRuleset().Chain(NftHook.Input)),
            NftMessage.NewRule(NftRuleset.Family, NftRuleset.DefaultTable, "input", [NftVerdict.Jump("nowhere")]),
        };
        using var socket = NetfilterSocket.Open(ns);
        var error = Assert.Throws<NetworkOperationException>(() => socket.Execute(messages));
        Assert.Equal(2, error.Errno); // ENOENT
        Assert.Equal($"adding nftables rule to isolated_net/input in {ns}", error.Operation);
        Assert.StartsWith($"adding nftables rule to isolated_net/input in {ns} failed: ENOENT (", error.Message, StringComparison.Ordinal);

        // Nothing of it happened: the table holds what the last successful apply put there.
        Assert.Equal(["udp dport 53 drop"], RuleLines(ns, "input"));

        // The socket is still good for the next transaction.
        socket.Execute(NftRuleset.ClearMessages());
        Assert.Empty(Objects(NftJson(ns), "table"));
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Drop_silences_UDP_and_TCP_while_reject_with_a_reset_refuses_the_connection()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        var b = net.AddressOf("b");
        Assert.Equal(5, (await UdpRoundAsync(net["a"], net["b"], b, 5)).Count);

        var drop = new NftRuleset();
        drop.Chain(NftHook.Input)
            .Add(new NftRule { Protocol = ProtocolType.Udp, DestinationPort = 9000, Action = NftAction.Drop })
            .Add(new NftRule { Protocol = ProtocolType.Tcp, DestinationPort = 7000, Action = NftAction.Drop })
            .Add(new NftRule { Protocol = ProtocolType.Tcp, DestinationPort = 7001, Action = NftAction.Reject(NftRejectKind.TcpReset) });
        NftTable.Apply(net["b"].Namespace, drop);

        Assert.Empty(await UdpRoundAsync(net["a"], net["b"], b, 5, port: 9000));
        Assert.Equal(5, (await UdpRoundAsync(net["a"], net["b"], b, 5, port: 9001)).Count); // other ports pass

        using var dropped = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        using var rejected = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7001));
        using var cancel = new CancellationTokenSource();
        var silent = net["a"].ConnectTcpAsync(b.ToString(), 7000, cancel.Token);
        Assert.NotSame(silent, await Task.WhenAny(silent, Task.Delay(Silence))); // SYNs vanish: no answer at all
        var refused = await Assert.ThrowsAsync<SocketException>(() => net["a"].ConnectTcpAsync(b.ToString(), 7001).WaitAsync(Quick));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        NftTable.Clear(net["b"].Namespace);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => silent);
        using var client = await net["a"].ConnectTcpAsync(b.ToString(), 7000).WaitAsync(Quick);
        Assert.True(client.Connected);
        Assert.Equal(5, (await UdpRoundAsync(net["a"], net["b"], b, 5, port: 9000)).Count);
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task A_conntrack_aware_reset_kills_a_tracked_connection_at_its_next_packet()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        var b = net.AddressOf("b");
        // Conntrack runs in a namespace only while a rule needs it. A flow it did not see open is picked up
        // mid-stream as "new", not "established"; so track from before the connection opens.
        var tracked = new NftRuleset();
        tracked.Chain(NftHook.Input).Add(new NftRule { States = NftConnectionStates.Invalid, Action = NftAction.Drop });
        NftTable.Apply(net["b"].Namespace, tracked);
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        using var client = await net["a"].ConnectTcpAsync(b.ToString(), 7000).WaitAsync(Quick);
        using var server = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("before", await TransferAsync(client, server, "before", Quick));

        // Equivalent to: nft add rule inet isolated_net input meta l4proto tcp ct state established reject with tcp reset
        var reset = new NftRuleset();
        reset.Chain(NftHook.Input)
            .Add(new NftRule { States = NftConnectionStates.Invalid, Action = NftAction.Drop })
            .Add(new NftRule { Protocol = ProtocolType.Tcp, States = NftConnectionStates.Established, Action = NftAction.Reject(NftRejectKind.TcpReset) });
        NftTable.Apply(net["b"].Namespace, reset);

        // The next segment from a is answered with a reset: a's socket fails, b never sees the bytes.
        await client.SendAsync("during"u8.ToArray());
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(Quick);
            while (await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Null(await ReceiveAsync(server, 6, Silence));

        // The rule resets every established flow, a new one too once its handshake completes: a reset is
        // a rule applied and then removed. With it gone, connections work again.
        NftTable.Apply(net["b"].Namespace, tracked);
        using var fresh = await net["a"].ConnectTcpAsync(b.ToString(), 7000).WaitAsync(Quick);
        using var freshServer = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("after", await TransferAsync(fresh, freshServer, "after", Quick));
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task A_generation_marked_reset_kills_flows_older_than_it_even_unseen_ones_and_spares_new_ones()
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        var b = net.AddressOf("b");
        using var listener = net["b"].Listen(new IPEndPoint(IPAddress.Any, 7000));
        // Opened while no rule needed conntrack: b's kernel never saw this flow start.
        using var old = await net["a"].ConnectTcpAsync(b.ToString(), 7000).WaitAsync(Quick);
        using var oldServer = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("before", await TransferAsync(old, oldServer, "before", Quick));

        // Equivalent to: nft add rule inet isolated_net input ct state new tcp flags & (syn | ack) == syn ct mark set 7
        //                nft add rule inet isolated_net input meta l4proto tcp ct mark != 7 reject with tcp reset
        const string table = NftRuleset.DefaultTable;
        var messages = new List<NftMessage>(NftRuleset.ClearMessages())
        {
            NftMessage.NewTable(NftRuleset.Family, table),
            NftMessage.NewChain(NftRuleset.Family, table, new NftRuleset().Chain(NftHook.Input)),
            NftMessage.NewRule(NftRuleset.Family, table, "input",
            [
                new NftCt(NFT_CT_STATE), new NftBitwise([8, 0, 0, 0], [0, 0, 0, 0]), new NftCmp(NFT_CMP_NEQ, [0, 0, 0, 0]),
                new NftMeta(NFT_META_L4PROTO), new NftCmp(NFT_CMP_EQ, [6]),
                new NftPayload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1), new NftBitwise([0x12], [0], explicitBoolean: true), new NftCmp(NFT_CMP_EQ, [0x02]),
                new NftImmediate(NFT_REG_1, [7, 0, 0, 0]), new NftCtSet(NFT_CT_MARK),
            ]),
            NftMessage.NewRule(NftRuleset.Family, table, "input",
                [new NftMeta(NFT_META_L4PROTO), new NftCmp(NFT_CMP_EQ, [6]), new NftCt(NFT_CT_MARK), new NftCmp(NFT_CMP_NEQ, [7, 0, 0, 0]), NftReject.TcpReset()]),
        };
        using (var socket = NetfilterSocket.Open(net["b"].Namespace))
        {
            socket.Execute(messages);
        }

        // A connection opened now is marked from its SYN and works, however long the rule stays.
        using var fresh = await net["a"].ConnectTcpAsync(b.ToString(), 7000).WaitAsync(Quick);
        using var freshServer = await listener.AcceptAsync().WaitAsync(Quick);
        Assert.Equal("fresh", await TransferAsync(fresh, freshServer, "fresh", Quick));
        Assert.Equal("reply", await TransferAsync(freshServer, fresh, "reply", Quick));

        // The old one is picked up mid-stream, unmarked, and reset at its next segment.
        await old.SendAsync("during"u8.ToArray());
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            var buffer = new byte[16];
            using var timeout = new CancellationTokenSource(Quick);
            while (await old.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.Equal("still", await TransferAsync(fresh, freshServer, "still", Quick));
    }

    [PrivilegedTheory(Tools = "nft")]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_one_way_cut_loses_a_to_b_and_delivers_b_to_a(AddressFamily family)
    {
        await using var net = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b").Build();
        var a = net.AddressOf("a", family);
        var b = net.AddressOf("b", family);
        var cut = new NftRuleset();
        // IPv6 neighbour discovery is ICMPv6 between the same addresses: without it b could not resolve a's
        // link-layer address to answer at all (IPv4's ARP is not IP, and inet chains never see it).
        cut.Chain(NftHook.Input)
            .Add(new NftRule { Protocol = ProtocolType.IcmpV6, Action = NftAction.Accept })
            .Add(new NftRule { Source = new IPNetwork(a, family == AddressFamily.InterNetwork ? 32 : 128), Action = NftAction.Drop });
        NftTable.Apply(net["b"].Namespace, cut);

        Assert.Empty(await UdpRoundAsync(net["a"], net["b"], b, 10));
        Assert.Equal(10, (await UdpRoundAsync(net["b"], net["a"], a, 10)).Count);
    }

    [PrivilegedFact(Tools = "nft")]
    public async Task Behind_a_masquerading_router_the_server_sees_the_router_and_a_port_forward_reaches_the_inner_host()
    {
        await using var net = new TopologyBuilder()
            .AddHost("inner").AddRouter("r").AddHost("outer")
            .Link("inner", "r").Link("r", "outer")
            .WithoutIPv6()
            .Build();
        var outside = net["r"].GetInterface("eth1").IPv4!.Value.Address;
        var nat = new NftRuleset();
        nat.Chain(NftHook.Postrouting).Add(new NftRule { OutInterface = "eth1", Action = NftAction.Masquerade });
        nat.Chain(NftHook.Prerouting).Add(new NftRule { InInterface = "eth1", Destination = new IPNetwork(outside, 32), Protocol = ProtocolType.Tcp, DestinationPort = 8080, Action = NftAction.DestinationNat(net.AddressOf("inner"), 80) });
        NftTable.Apply(net["r"].Namespace, nat);

        using (var listener = net["outer"].Listen(new IPEndPoint(IPAddress.Any, 7000)))
        using (var client = await net["inner"].ConnectTcpAsync(net.AddressOf("outer").ToString(), 7000).WaitAsync(Quick))
        using (var server = await listener.AcceptAsync().WaitAsync(Quick))
        {
            Assert.Equal(outside, ((IPEndPoint)server.RemoteEndPoint!).Address);
            Assert.Equal("through", await TransferAsync(client, server, "through", Quick));
        }

        using (var listener = net["inner"].Listen(new IPEndPoint(IPAddress.Any, 80)))
        using (var client = await net["outer"].ConnectTcpAsync(outside.ToString(), 8080).WaitAsync(Quick))
        using (var server = await listener.AcceptAsync().WaitAsync(Quick))
        {
            Assert.Equal(net.AddressOf("outer"), ((IPEndPoint)server.RemoteEndPoint!).Address);
            Assert.Equal("forwarded", await TransferAsync(client, server, "forwarded", Quick));
        }
    }

    [PrivilegedFact(Tools = "nft", NotRootless = "it lists the nftables ruleset of the machine's network namespace, which isolated-net exec's user namespace may not read")]
    public void A_disposed_namespace_takes_its_table_with_it_and_the_root_namespace_is_untouched()
    {
        // Anonymous, so it runs rootless too: nothing but our fd and thread holds the namespace.
        ulong inode;
        using (var ns = NetworkNamespace.Create())
        {
            inode = ns.Inode;
            var ruleset = new NftRuleset();
            ruleset.Chain(NftHook.Input).Add(new NftRule { Action = NftAction.Drop });
            NftTable.Apply(ns, ruleset);
            Assert.Single(Objects(NftJson(ns), "table"));
            Assert.Equal(1, NetfilterSocketsIn(ns)); // the namespace's own, closed with it
        }
        // No thread or fd of this process refers to the namespace any more, so the kernel frees it and the
        // table with it; the root namespace never had one.
        // A thread that returned can be listed until the kernel finishes its exit, and the runtime's background
        // GC or JIT worker, if a collection or compilation started it from the namespace thread, stays there
        // until it idles out (20 s); only a holder that outlasts that is a leak.
        string net = $"net:[{inode}]";
        SpinWait.SpinUntil(() => !LinkTargets(Directory.GetDirectories("/proc/self/task").Select(t => Path.Combine(t, "ns", "net"))).Contains(net), TimeSpan.FromSeconds(40));
        Assert.DoesNotContain(net, LinkTargets(Directory.GetDirectories("/proc/self/task").Select(t => Path.Combine(t, "ns", "net"))));
        Assert.DoesNotContain(net, LinkTargets(Directory.GetFiles("/proc/self/fd")));
        var (code, rootTables, stderr) = Oracle.Exec("nft", "list", "tables");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain(NftRuleset.DefaultTable, rootTables, StringComparison.Ordinal);
    }
}
