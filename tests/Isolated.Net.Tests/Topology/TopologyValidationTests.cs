using System.Net;
using Xunit;

namespace Isolated.Net.Tests.Topology;

// Validation and address planning are pure: none of these tests needs privileges, and each shows the
// problem is named before the kernel is touched.
public sealed class TopologyValidationTests
{
    private static TopologyValidationException Invalid(TopologyBuilder builder) =>
        Assert.Throws<TopologyValidationException>(builder.Validate);

    [Fact]
    public void Duplicate_host_is_named()
    {
        var error = Invalid(new TopologyBuilder().AddHost("a").AddHost("a"));
        Assert.Contains("host 'a' is added twice", error.Problems);
    }

    [Fact]
    public void Unknown_host_in_a_link_and_unknown_switch_are_named()
    {
        var error = Invalid(new TopologyBuilder().AddHost("a").Link("a", "ghost").Connect("a", "nowhere"));
        Assert.Contains(error.Problems, p => p.Contains("unknown host 'ghost'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("unknown switch 'nowhere'", StringComparison.Ordinal));
    }

    [Fact]
    public void Host_linked_to_itself_is_named()
    {
        var error = Invalid(new TopologyBuilder().AddHost("a").Link("a", "a"));
        Assert.Contains("host 'a' is linked to itself", error.Problems);
    }

    [Fact]
    public void Invalid_and_overlapping_subnets_are_named()
    {
        var error = Invalid(new TopologyBuilder()
            .AddSwitch("s1", o => o.IPv4Subnet = "10.1.0.0/16")
            .AddSwitch("s2", o => o.IPv4Subnet = "10.1.5.0/24")
            .AddSwitch("s3", o => o.IPv4Subnet = "10.2.0.7/24")
            .AddSwitch("s4", o => o.IPv6Subnet = "10.3.0.0/24"));
        Assert.Contains(error.Problems, p => p.Contains("switch 's1' subnet 10.1.0.0/16 overlaps switch 's2' subnet 10.1.5.0/24", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("'10.2.0.7/24', which is not a valid prefix with its host bits zero", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("'10.3.0.0/24', which is not an IPv6 prefix", StringComparison.Ordinal));
    }

    [Fact]
    public void Address_outside_its_subnet_and_network_address_are_named()
    {
        var error = Invalid(new TopologyBuilder()
            .AddSwitch("lan", o => o.IPv4Subnet = "192.168.7.0/24")
            .AddHost("a").Connect("a", "lan", i => i.IPv4 = "192.168.8.1/24")
            .AddHost("b").Connect("b", "lan", i => i.IPv4 = "192.168.7.0")
            .AddHost("c").Connect("c", "lan", i => i.IPv4 = "not-an-address"));
        Assert.Contains(error.Problems, p => p.Contains("host 'a' has address 192.168.8.1/24 outside the subnet 192.168.7.0/24 of switch 'lan'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("host 'b' has address 192.168.7.0/24, the network address", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("host 'c' on switch 'lan'", StringComparison.Ordinal));
    }

    [Fact]
    public void Interface_names_longer_than_15_bytes_are_named()
    {
        var error = Invalid(new TopologyBuilder()
            .AddSwitch("a-switch-name-too-long")
            .AddHost("h").AddSwitch("ok").Connect("h", "ok", i => i.Name = "interface-name-16"));
        Assert.Contains(error.Problems, p => p.Contains("switch name 'a-switch-name-too-long' is not a valid interface name: it is 22 bytes long, more than 15", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("interface name 'interface-name-16' on host 'h' is not valid: it is 17 bytes long", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_host_names_routes_and_mtu_are_named()
    {
        var error = Invalid(new TopologyBuilder()
            .AddHost("bad name")
            .AddHost("a").AddHost("b").Link("a", "b", o => o.Mtu = 20)
            .AddRoute("a", "10.9.0.0/16", "nobody")
            .AddRoute("ghost", "default", "a"));
        Assert.Contains(error.Problems, p => p.Contains("host name 'bad name' may hold only", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("has MTU 20", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("goes via 'nobody', which is neither a host nor an IP address", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("names unknown host 'ghost'", StringComparison.Ordinal));
    }

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var error = Invalid(new TopologyBuilder().AddHost("a").AddHost("a").Link("a", "a").Connect("x", "y"));
        Assert.True(error.Problems.Count >= 3, string.Join(" | ", error.Problems));
    }

    [Fact]
    public void Automatic_addressing_is_dual_stack_and_predictable()
    {
        var plan = TopologyPlan.Create(new TopologyBuilder()
            .AddSwitch("lan")
            .AddHost("a").Connect("a", "lan")
            .AddHost("b").Connect("b", "lan", i => i.IPv4 = "10.0.1.50")
            .AddHost("c").Connect("c", "lan")
            .Link("a", "c").Spec);

        var a = plan.Hosts.Single(h => h.Name == "a");
        Assert.Equal(["eth0", "eth1"], a.Interfaces.Select(i => i.Name));
        Assert.Equal("10.0.1.1/24", a.Interfaces[0].IPv4.ToString());
        Assert.Equal("fd7a:15e:0:1::1/64", a.Interfaces[0].IPv6.ToString());
        Assert.Equal("10.0.2.1/24", a.Interfaces[1].IPv4.ToString());
        Assert.Equal("10.0.1.50/24", plan.Hosts.Single(h => h.Name == "b").Interfaces[0].IPv4.ToString());
        Assert.Equal("10.0.1.2/24", plan.Hosts.Single(h => h.Name == "c").Interfaces[0].IPv4.ToString());
        Assert.Equal("10.0.2.2/24", plan.Hosts.Single(h => h.Name == "c").Interfaces[1].IPv4.ToString());
        Assert.All(plan.Hosts, h => Assert.Empty(h.Routes));
    }

    [Fact]
    public void Automatic_subnets_skip_explicit_ones_and_respect_the_pool()
    {
        var plan = TopologyPlan.Create(new TopologyBuilder()
            .WithIPv4Pool("172.20.0.0/16").WithoutIPv6()
            .AddSwitch("fixed", o => o.IPv4Subnet = "172.20.1.0/24")
            .AddSwitch("auto")
            .AddHost("h").Connect("h", "fixed").Connect("h", "auto").Spec);
        Assert.Equal(IPNetwork.Parse("172.20.2.0/24"), plan.Segments.Single(s => s.Name == "auto").IPv4);
        Assert.All(plan.Hosts.Single().Interfaces, i => Assert.Null(i.IPv6));
    }

    [Fact]
    public void A_host_behind_exactly_one_router_gets_default_routes_through_it()
    {
        var plan = TopologyPlan.Create(new TopologyBuilder()
            .AddSwitch("left").AddSwitch("right")
            .AddRouter("r").Connect("r", "left").Connect("r", "right")
            .AddHost("a").Connect("a", "left")
            .AddHost("b").Connect("b", "right").Spec);
        var a = plan.Hosts.Single(h => h.Name == "a");
        Assert.Equal(2, a.Routes.Count);
        Assert.Contains(a.Routes, r => r.Destination.PrefixLength == 0 && r.Gateway.Equals(IPAddress.Parse("10.0.1.1")) && r.InterfaceName == "eth0");
        Assert.Contains(a.Routes, r => r.Destination.PrefixLength == 0 && r.Gateway.Equals(IPAddress.Parse("fd7a:15e:0:1::1")));
        Assert.Empty(plan.Hosts.Single(h => h.Name == "r").Routes);
    }

    [Fact]
    public void Two_routers_make_the_default_ambiguous_so_none_is_added()
    {
        var plan = TopologyPlan.Create(new TopologyBuilder()
            .AddSwitch("lan")
            .AddRouter("r1").Connect("r1", "lan")
            .AddRouter("r2").Connect("r2", "lan")
            .AddHost("a").Connect("a", "lan")
            .AddRoute("a", "10.50.0.0/16", "r2").Spec);
        var a = plan.Hosts.Single(h => h.Name == "a");
        var route = Assert.Single(a.Routes);
        Assert.Equal(IPNetwork.Parse("10.50.0.0/16"), route.Destination);
        Assert.Equal(IPAddress.Parse("10.0.1.2"), route.Gateway);
    }

    [Fact]
    public void Builder_is_immutable()
    {
        var basis = new TopologyBuilder().AddHost("a");
        var extended = basis.AddHost("b");
        Assert.Single(TopologyPlan.Create(basis.Spec).Hosts);
        Assert.Equal(2, TopologyPlan.Create(extended.Spec).Hosts.Count);
    }

    [Fact]
    public void InterfaceAddress_parses_and_masks()
    {
        var address = InterfaceAddress.Parse("10.0.1.7/24");
        Assert.Equal(IPNetwork.Parse("10.0.1.0/24"), address.Network);
        Assert.Throws<FormatException>(() => InterfaceAddress.Parse("10.0.1.7"));
        Assert.Throws<FormatException>(() => InterfaceAddress.Parse("10.0.1.7/33"));
    }
}
