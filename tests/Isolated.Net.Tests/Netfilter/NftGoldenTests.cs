using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netfilter;
using Isolated.Net.Netlink;
using Xunit;
using static Isolated.Net.Interop.Interop;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Netfilter;

// Every nf_tables message and expression we build, against the bytes nft itself sent for the same
// rule (NftCaptured). No privilege needed.
public sealed class NftGoldenTests
{
    private const string Table = NftRuleset.DefaultTable;

    private static IPNetwork Net(string text) => IPNetwork.Parse(text);

    // Our bytes, with what legitimately differs from nft's taken out: sequence numbers and port ids
    // zeroed, and NLM_F_ACK (asserted present on every nf_tables message, absent on the batch frame) cleared.
    private static byte[] Comparable(ReadOnlySpan<byte> datagram)
    {
        var bytes = datagram.ToArray();
        int offset = 0;
        while (offset < bytes.Length)
        {
            var span = bytes.AsSpan(offset);
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span);
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(span[4..]);
            ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(span[6..]);
            bool frame = type is NFNL_MSG_BATCH_BEGIN or NFNL_MSG_BATCH_END;
            Assert.True(frame == ((flags & NLM_F_ACK) == 0), $"message type 0x{type:x} has flags 0x{flags:x}: every nf_tables message asks for an ack, the batch frame does not");
            BinaryPrimitives.WriteUInt16LittleEndian(span[6..], (ushort)(flags & ~NLM_F_ACK));
            span.Slice(8, 8).Clear();
            offset += NetlinkAlign(length);
        }
        return bytes;
    }

    private static void AssertSame(string[] captured, ReadOnlySpan<byte> ours) =>
        Assert.Equal(Show(Hex(captured)), Show(Comparable(ours)));

    private static byte[] Encode(NftMessage message)
    {
        using var writer = new NetlinkMessageWriter();
        message.Encode(writer, 77);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] EncodeBatch(IReadOnlyList<NftMessage> messages, uint first = 1000)
    {
        using var writer = new NetlinkMessageWriter();
        NftBatch.Encode(writer, first, messages);
        return writer.WrittenSpan.ToArray();
    }

    // The NEWRULE message for a rule of the model, checked against its chain first.
    private static NftMessage RuleIn(NftHook hook, NftRule rule)
    {
        var ruleset = new NftRuleset();
        ruleset.Chain("other");
        ruleset.Chain(hook).Add(rule);
        ruleset.Validate();
        return NftMessage.NewRule(NftRuleset.Family, Table, hook.DefaultChainName, rule.Compile());
    }

    private static NftMessage RawRule(string chain, params NftExpression[] expressions) =>
        NftMessage.NewRule(NFPROTO_INET, Table, chain, expressions);

    // Keyed by the rule in nft syntax: theory parameters must be public types, and the model is internal.
    private static readonly Dictionary<string, (string[] Captured, NftHook Hook, NftRule Rule)> s_modelRules = new()
    {
        ["ip saddr 10.0.1.0/24 drop"] = (NftCaptured.SaddrPrefix24, NftHook.Input, new NftRule { Source = Net("10.0.1.0/24"), Action = NftAction.Drop }),
        ["ip saddr 10.0.0.0/23 drop"] = (NftCaptured.SaddrPrefix23, NftHook.Input, new NftRule { Source = Net("10.0.0.0/23"), Action = NftAction.Drop }),
        ["ip daddr 10.0.1.3 drop"] = (NftCaptured.Daddr, NftHook.Input, new NftRule { Destination = Net("10.0.1.3/32"), Action = NftAction.Drop }),
        ["ip6 saddr fd7a:15e:0:1::/64 drop"] = (NftCaptured.Saddr6Prefix64, NftHook.Input, new NftRule { Source = Net("fd7a:15e:0:1::/64"), Action = NftAction.Drop }),
        ["ip6 daddr fd7a:15e:0:1::3 accept"] = (NftCaptured.Daddr6Accept, NftHook.Input, new NftRule { Destination = Net("fd7a:15e:0:1::3/128"), Action = NftAction.Accept }),
        ["udp dport 9000 drop"] = (NftCaptured.UdpDport, NftHook.Input, new NftRule { Protocol = ProtocolType.Udp, DestinationPort = 9000, Action = NftAction.Drop }),
        ["tcp sport 7000 reject with tcp reset"] = (NftCaptured.TcpSportReset, NftHook.Input, new NftRule { Protocol = ProtocolType.Tcp, SourcePort = 7000, Action = NftAction.Reject(NftRejectKind.TcpReset) }),
        ["meta l4proto tcp accept"] = (NftCaptured.L4protoTcp, NftHook.Input, new NftRule { Protocol = ProtocolType.Tcp, Action = NftAction.Accept }),
        ["iifname \"eth0\" accept"] = (NftCaptured.Iifname, NftHook.Input, new NftRule { InInterface = "eth0", Action = NftAction.Accept }),
        ["ct state established,related accept"] = (NftCaptured.CtStateEstablishedRelated, NftHook.Input, new NftRule { States = NftConnectionStates.Established | NftConnectionStates.Related, Action = NftAction.Accept }),
        ["reject with icmpx admin-prohibited"] = (NftCaptured.RejectIcmpxAdminProhibited, NftHook.Input, new NftRule { Action = NftAction.Reject(NftRejectKind.AdminProhibited) }),
        ["reject with icmpx port-unreachable"] = (NftCaptured.RejectIcmpxPortUnreachable, NftHook.Input, new NftRule { Action = NftAction.Reject(NftRejectKind.PortUnreachable) }),
        ["jump other"] = (NftCaptured.JumpOther, NftHook.Input, new NftRule { Action = NftAction.Jump("other") }),
        ["return"] = (NftCaptured.Return, NftHook.Input, new NftRule { Action = NftAction.Return }),
        ["counter accept"] = (NftCaptured.CounterAccept, NftHook.Input, new NftRule { Counter = true, Action = NftAction.Accept }),
        ["oifname \"eth1\" masquerade"] = (NftCaptured.OifnameMasquerade, NftHook.Postrouting, new NftRule { OutInterface = "eth1", Action = NftAction.Masquerade }),
        ["ip daddr 10.0.2.1 tcp dport 8080 dnat ip to 10.0.1.2:80"] = (NftCaptured.DnatIpWithPort, NftHook.Prerouting, new NftRule { Destination = Net("10.0.2.1/32"), Protocol = ProtocolType.Tcp, DestinationPort = 8080, Action = NftAction.DestinationNat(IPAddress.Parse("10.0.1.2"), 80) }),
        ["ip6 daddr fd7a:15e:0:2::1 tcp dport 8080 dnat ip6 to [fd7a:15e:0:1::2]:80"] = (NftCaptured.DnatIp6WithPort, NftHook.Prerouting, new NftRule { Destination = Net("fd7a:15e:0:2::1/128"), Protocol = ProtocolType.Tcp, DestinationPort = 8080, Action = NftAction.DestinationNat(IPAddress.Parse("fd7a:15e:0:1::2"), 80) }),
        ["ip saddr 10.0.1.0/24 snat ip to 10.0.2.1"] = (NftCaptured.SnatIp, NftHook.Postrouting, new NftRule { Source = Net("10.0.1.0/24"), Action = NftAction.SourceNat(IPAddress.Parse("10.0.2.1")) }),
        ["ip daddr 10.0.2.1 dnat ip to 10.0.1.2"] = (NftCaptured.DnatIp, NftHook.Prerouting, new NftRule { Destination = Net("10.0.2.1/32"), Action = NftAction.DestinationNat(IPAddress.Parse("10.0.1.2")) }),
    };

    public static TheoryData<string> ModelRules => new(s_modelRules.Keys);

    [Theory]
    [MemberData(nameof(ModelRules))]
    public void A_rule_of_the_model_encodes_as_nft_encodes_it(string nftSyntax)
    {
        var (captured, hook, rule) = s_modelRules[nftSyntax];
        AssertSame(captured, Encode(RuleIn(hook, rule)));
        Assert.Equal(nftSyntax, rule.ToString());
    }

    private static readonly Dictionary<string, (string[] Captured, string Chain, NftExpression[] Expressions)> s_rawRules = new()
    {
        ["oifname \"eth0\" counter drop"] = (NftCaptured.OifnameCounterDrop, "input", [new NftMeta(NFT_META_OIFNAME), new NftCmp(NFT_CMP_EQ, "eth0\0\0\0\0\0\0\0\0\0\0\0\0"u8), NftCounter.Instance, NftVerdict.Drop]),
        ["meta mark 0x00000001 accept"] = (NftCaptured.MetaMark, "input", [new NftMeta(NFT_META_MARK), new NftCmp(NFT_CMP_EQ, [1, 0, 0, 0]), NftVerdict.Accept]),
        ["meta nfproto ipv4 reject with icmp type host-unreachable"] = (NftCaptured.RejectIcmpHostUnreachableV4, "input", [new NftMeta(NFT_META_NFPROTO), new NftCmp(NFT_CMP_EQ, [NFPROTO_IPV4]), new NftReject(NFT_REJECT_ICMP_UNREACH, 1)]),
        ["meta nfproto ipv6 reject with icmpv6 type admin-prohibited"] = (NftCaptured.RejectIcmpv6AdminProhibited, "input", [new NftMeta(NFT_META_NFPROTO), new NftCmp(NFT_CMP_EQ, [NFPROTO_IPV6]), new NftReject(NFT_REJECT_ICMP_UNREACH, 1)]),
        ["ip daddr != 10.0.1.3 drop"] = (NftCaptured.DaddrNotEqual, "input", [new NftMeta(NFT_META_NFPROTO), new NftCmp(NFT_CMP_EQ, [NFPROTO_IPV4]), new NftPayload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4), new NftCmp(NFT_CMP_NEQ, [10, 0, 1, 3]), NftVerdict.Drop]),
        // A conntrack-aware reset: new connections are marked from their SYN, the rest (older flows, flows
        // picked up mid-stream) reset at their next packet.
        ["ct state new tcp flags & (syn | ack) == syn ct mark set 0x00000007"] = (NftCaptured.CtMarkSetOnSyn, "input",
            [new NftCt(NFT_CT_STATE), new NftBitwise([8, 0, 0, 0], [0, 0, 0, 0]), new NftCmp(NFT_CMP_NEQ, [0, 0, 0, 0]),
             new NftMeta(NFT_META_L4PROTO), new NftCmp(NFT_CMP_EQ, [6]),
             new NftPayload(NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1), new NftBitwise([0x12], [0], explicitBoolean: true), new NftCmp(NFT_CMP_EQ, [0x02]),
             new NftImmediate(NFT_REG_1, [7, 0, 0, 0]), new NftCtSet(NFT_CT_MARK)]),
        ["meta l4proto tcp ct mark != 0x00000007 reject with tcp reset"] = (NftCaptured.CtMarkNotEqualReset, "input",
            [new NftMeta(NFT_META_L4PROTO), new NftCmp(NFT_CMP_EQ, [6]), new NftCt(NFT_CT_MARK), new NftCmp(NFT_CMP_NEQ, [7, 0, 0, 0]), NftReject.TcpReset()]),
    };

    public static TheoryData<string> RawRules => new(s_rawRules.Keys);

    [Theory]
    [MemberData(nameof(RawRules))]
    public void An_expression_outside_the_model_encodes_as_nft_encodes_it(string nftSyntax)
    {
        var (captured, chain, expressions) = s_rawRules[nftSyntax];
        AssertSame(captured, Encode(RawRule(chain, expressions)));
    }

    [Fact]
    public void Applying_six_empty_base_chains_is_the_batch_nft_sends()
    {
        var ruleset = new NftRuleset();
        foreach (var hook in new[] { NftHook.Input, NftHook.Output, NftHook.Forward, NftHook.Prerouting, NftHook.Postrouting, NftHook.NatOutput })
        {
            ruleset.Chain(hook);
        }
        AssertSame(NftCaptured.BatchOfChains, EncodeBatch(ruleset.ApplyMessages()));
    }

    [Fact]
    public void Applying_chains_with_rules_is_the_batch_nft_sends_for_the_same_file()
    {
        var ruleset = new NftRuleset();
        ruleset.Chain("other").Add(new NftRule { Protocol = ProtocolType.Udp, DestinationPort = 9000, Action = NftAction.Drop });
        var input = ruleset.Chain(NftHook.Input);
        input.Policy = NftPolicy.Drop;
        input.Add(new NftRule { States = NftConnectionStates.Established | NftConnectionStates.Related, Action = NftAction.Accept })
            .Add(new NftRule { InInterface = "eth0", Source = Net("10.0.1.0/24"), Protocol = ProtocolType.Tcp, DestinationPort = 22, Counter = true, Action = NftAction.Accept })
            .Add(new NftRule { Action = NftAction.Jump("other") })
            .Add(new NftRule { Action = NftAction.Reject(NftRejectKind.AdminProhibited) });
        ruleset.Chain(NftHook.Postrouting).Add(new NftRule { OutInterface = "eth1", Action = NftAction.Masquerade });

        AssertSame(NftCaptured.BatchOfRules, EncodeBatch(ruleset.ApplyMessages()));
        Assert.Equal(
            """
            table inet isolated_net {
            	chain other {
            		udp dport 9000 drop
            	}
            	chain input {
            		type filter hook input priority 0; policy drop;
            		ct state established,related accept
            		iifname "eth0" ip saddr 10.0.1.0/24 tcp dport 22 counter accept
            		jump other
            		reject with icmpx admin-prohibited
            	}
            	chain postrouting {
            		type nat hook postrouting priority 100; policy accept;
            		oifname "eth1" masquerade
            	}
            }
            """.ReplaceLineEndings("\n"),
            ruleset.ToString());
    }

    [Fact]
    public void Deleting_the_table_is_the_message_nft_sends()
    {
        AssertSame(NftCaptured.DeleteTable, Encode(NftMessage.DeleteTable(NFPROTO_INET, Table)));
        var clear = NftRuleset.ClearMessages();
        Assert.Equal([NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE], clear.Select(m => m.Message));
        Assert.Equal("deleting nftables table inet isolated_net", clear[1].Operation);
    }

    [Fact]
    public void A_batch_numbers_its_frame_and_messages_consecutively()
    {
        var bytes = EncodeBatch(NftRuleset.ClearMessages(), first: uint.MaxValue - 1);
        var sequences = new List<(ushort Type, uint Sequence)>();
        var reader = new NetlinkMessageReader(bytes);
        while (reader.TryRead(out var message))
        {
            sequences.Add((message.Type, message.Sequence));
        }
        Assert.Equal(
            [(NFNL_MSG_BATCH_BEGIN, uint.MaxValue - 1), (NftMessageType(NFT_MSG_NEWTABLE), uint.MaxValue), (NftMessageType(NFT_MSG_DELTABLE), 0u), (NFNL_MSG_BATCH_END, 1u)],
            sequences);
    }

    [Fact]
    public void Expressions_describe_themselves_in_nft_debug_words()
    {
        // `nft --debug=netlink add rule inet isolated_net prerouting ip daddr 10.0.2.1 tcp dport 8080 dnat ip to 10.0.1.2:80`
        var dnat = new NftRule { Destination = Net("10.0.2.1/32"), Protocol = ProtocolType.Tcp, DestinationPort = 8080, Action = NftAction.DestinationNat(IPAddress.Parse("10.0.1.2"), 80) };
        Assert.Equal(
            [
                "[ meta load nfproto => reg 1 ]",
                "[ cmp eq reg 1 0x00000002 ]",
                "[ payload load 4b @ network header + 16 => reg 1 ]",
                "[ cmp eq reg 1 0x0102000a ]",
                "[ meta load l4proto => reg 1 ]",
                "[ cmp eq reg 1 0x00000006 ]",
                "[ payload load 2b @ transport header + 2 => reg 1 ]",
                "[ cmp eq reg 1 0x0000901f ]",
                "[ immediate reg 1 0x0201000a ]",
                "[ immediate reg 2 0x00005000 ]",
                "[ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]",
            ],
            dnat.Compile().Select(e => e.ToString()));
        // `... input ip saddr 10.0.1.0/23 drop` and `... input ct state established,related accept`
        Assert.Equal(
            "[ bitwise reg 1 = ( reg 1 & 0x00feffff ) ^ 0x00000000 ]",
            new NftRule { Source = Net("10.0.1.0/23"), Action = NftAction.Drop }.Compile()[3].ToString());
        Assert.Equal(
            ["[ ct load state => reg 1 ]", "[ bitwise reg 1 = ( reg 1 & 0x00000006 ) ^ 0x00000000 ]", "[ cmp neq reg 1 0x00000000 ]", "[ immediate reg 0 accept ]"],
            new NftRule { States = NftConnectionStates.Established | NftConnectionStates.Related, Action = NftAction.Accept }.Compile().Select(e => e.ToString()));
    }

    [Fact]
    public void Operations_name_the_table_and_chain()
    {
        Assert.Equal("adding nftables rule to isolated_net/input", RawRule("input", NftVerdict.Accept).Operation);
        Assert.Equal("adding nftables chain isolated_net/postrouting", NftMessage.NewChain(NFPROTO_INET, Table, new NftRuleset().Chain(NftHook.Postrouting)).Operation);
        Assert.Equal("adding nftables table inet isolated_net", NftMessage.NewTable(NFPROTO_INET, Table).Operation);
    }
}
