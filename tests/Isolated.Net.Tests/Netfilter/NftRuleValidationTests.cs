using System.Net;
using System.Net.Sockets;
using Isolated.Net.Netfilter;
using Xunit;

namespace Isolated.Net.Tests.Netfilter;

// Rules that cannot work are refused when they are added, naming the rule, before any message is built.
public sealed class NftRuleValidationTests
{
    // Keyed by what is wrong: theory parameters must be public types, and the model is internal.
    private static readonly Dictionary<string, (string Reason, Func<NftRuleset, NftChain> Chain, NftRule Rule)> s_badRules = new()
    {
        ["ports without a protocol"] = ("ports need the protocol TCP or UDP", r => r.Chain(NftHook.Input), new NftRule { DestinationPort = 80, Action = NftAction.Drop }),
        ["ports of ICMP"] = ("ports need the protocol TCP or UDP", r => r.Chain(NftHook.Input), new NftRule { Protocol = ProtocolType.Icmp, SourcePort = 80, Action = NftAction.Drop }),
        ["port 0"] = ("port 0 is outside 1–65535", r => r.Chain(NftHook.Input), new NftRule { Protocol = ProtocolType.Tcp, DestinationPort = 0, Action = NftAction.Drop }),
        ["mixed families"] = ("is not IPv4", r => r.Chain(NftHook.Input), new NftRule { Source = IPNetwork.Parse("10.0.0.0/8"), Destination = IPNetwork.Parse("fd00::/8"), Action = NftAction.Drop }),
        ["IPv6 NAT target for an IPv4 rule"] = ("the NAT address fd00::1 is not IPv4", r => r.Chain(NftHook.Prerouting), new NftRule { Destination = IPNetwork.Parse("10.0.0.1/32"), Action = NftAction.DestinationNat(IPAddress.Parse("fd00::1")) }),
        ["TCP reset for UDP"] = ("a TCP reset answers TCP only", r => r.Chain(NftHook.Input), new NftRule { Protocol = ProtocolType.Udp, Action = NftAction.Reject(NftRejectKind.TcpReset) }),
        ["DNAT in input"] = ("DNAT belongs in the prerouting or nat output chain", r => r.Chain(NftHook.Input), new NftRule { Action = NftAction.DestinationNat(IPAddress.Parse("10.0.0.1")) }),
        ["masquerade in prerouting"] = ("belong in the postrouting chain", r => r.Chain(NftHook.Prerouting), new NftRule { Action = NftAction.Masquerade }),
        ["reject in a nat chain"] = ("reject belongs in a filter chain", r => r.Chain(NftHook.Postrouting), new NftRule { Action = NftAction.Reject(NftRejectKind.PortUnreachable) }),
        ["output interface in input"] = ("have no output interface yet", r => r.Chain(NftHook.Input), new NftRule { OutInterface = "eth0", Action = NftAction.Drop }),
        ["input interface in output"] = ("have no input interface", r => r.Chain(NftHook.Output), new NftRule { InInterface = "eth0", Action = NftAction.Drop }),
        ["DNAT to a port without a protocol"] = ("DNAT to a port needs the protocol TCP or UDP", r => r.Chain(NftHook.Prerouting), new NftRule { Action = NftAction.DestinationNat(IPAddress.Parse("10.0.0.1"), 80) }),
        ["an interface name too long"] = ("is invalid", r => r.Chain(NftHook.Input), new NftRule { InInterface = "a-very-long-interface-name", Action = NftAction.Drop }),
    };

    public static TheoryData<string> BadRules => new(s_badRules.Keys);

    [Theory]
    [MemberData(nameof(BadRules))]
    public void A_rule_that_cannot_work_is_refused_when_added(string what)
    {
        var (reason, chain, rule) = s_badRules[what];
        var ruleset = new NftRuleset();
        var error = Assert.ThrowsAny<ArgumentException>(() => chain(ruleset).Add(rule));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Empty(chain(ruleset).Rules);
    }

    [Fact]
    public void A_jump_to_a_chain_the_ruleset_lacks_is_refused_before_any_message()
    {
        var ruleset = new NftRuleset();
        ruleset.Chain(NftHook.Input).Add(new NftRule { Action = NftAction.Jump("missing") });
        var error = Assert.Throws<ArgumentException>(() => ruleset.ApplyMessages());
        Assert.Contains("jumps to 'missing'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chains_are_unique_and_asked_for_by_hook_or_name()
    {
        var ruleset = new NftRuleset();
        Assert.Same(ruleset.Chain(NftHook.Input), ruleset.Chain(NftHook.Input));
        Assert.Same(ruleset.Chain("other"), ruleset.Chain("other"));
        Assert.Throws<ArgumentException>(() => ruleset.Chain("input"));
        Assert.Equal("nat_output", ruleset.Chain(NftHook.NatOutput).Name);
        Assert.Equal(["input", "other", "nat_output"], ruleset.Chains.Select(c => c.Name));
    }
}
