using Xunit;

namespace Isolated.Net.Tests.Topology;

// One bad input each (issue 31): Validate() names the offending value and the fix, before any namespace
// exists, so none of these tests needs privileges.
public sealed class TopologyInputValidationTests
{
    private static string Problem(TopologyBuilder builder, string expected)
    {
        var error = Assert.Throws<TopologyValidationException>(builder.Validate);
        var problem = Assert.Single(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        return problem;
    }

    [Fact]
    public void An_unused_IPv4_pool_that_does_not_parse_is_named()
    {
        var problem = Problem(new TopologyBuilder().WithIPv4Pool("ten.0.0.0/8"), "IPv4 pool 'ten.0.0.0/8'");
        Assert.Contains("such as 10.0.0.0/16", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unused_IPv6_pool_is_checked_even_with_IPv6_off()
    {
        var problem = Problem(new TopologyBuilder().WithoutIPv6().WithIPv6Pool("fd00::/96"), "IPv6 pool 'fd00::/96'");
        Assert.Contains("length 16 to 63", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_of_the_wrong_family_is_named()
    {
        Problem(new TopologyBuilder().WithIPv4Pool("fd00::/48"), "IPv4 pool 'fd00::/48' must be an IPv4 prefix");
    }

    [Fact]
    public void A_link_MTU_below_1280_with_IPv6_on_names_the_IPv6_minimum_and_the_fix()
    {
        var problem = Problem(
            new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b", o => o.Mtu = 1000),
            "has MTU 1000, but IPv6 needs at least 1280");
        Assert.Contains("WithoutIPv6()", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_MTU_is_accepted_with_IPv6_off()
    {
        new TopologyBuilder().WithoutIPv6().AddHost("a").AddHost("b").Link("a", "b", o => o.Mtu = 1000).Validate();
    }

    [Fact]
    public void A_small_MTU_with_an_explicit_IPv6_address_is_named_even_with_IPv6_off()
    {
        Problem(
            new TopologyBuilder().WithoutIPv6()
                .AddSwitch("lan", o => { o.Mtu = 1200; o.IPv6Subnet = "fd00:1::/64"; })
                .AddHost("a").Connect("a", "lan"),
            "switch 'lan' has MTU 1200, but IPv6 needs at least 1280");
    }

    [Fact]
    public void An_MTU_below_the_IPv4_minimum_is_named()
    {
        Problem(new TopologyBuilder().WithoutIPv6().AddSwitch("lan", o => o.Mtu = 67), "switch 'lan' has MTU 67; it must be at least 68");
    }

    [Fact]
    public void An_MTU_above_the_veth_maximum_is_named()
    {
        Problem(new TopologyBuilder().AddSwitch("lan", o => o.Mtu = 65536), "switch 'lan' has MTU 65536; veth, bridge and TAP devices allow at most 65535");
    }

    [Fact]
    public void A_host_and_a_switch_with_one_name_are_named()
    {
        var problem = Problem(new TopologyBuilder().AddHost("web").AddSwitch("web"), "switch 'web' has the name of a host");
        Assert.Contains("rename one", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_router_and_a_switch_with_one_name_are_named()
    {
        Problem(new TopologyBuilder().AddSwitch("core").AddRouter("core"), "switch 'core' has the name of a router");
    }

    [Fact]
    public void A_host_and_a_router_with_one_name_are_named()
    {
        Problem(new TopologyBuilder().AddHost("gw").AddRouter("gw"), "name 'gw' is used by two hosts or routers");
    }

    [Theory]
    [InlineData("eth 0", "whitespace")]
    [InlineData("a/b", "'/'")]
    [InlineData(".", "'.' and '..' are reserved")]
    [InlineData("..", "'.' and '..' are reserved")]
    [InlineData("sixteen-bytes-xx", "16 bytes long, more than 15")]
    public void Interface_names_the_kernel_refuses_are_named(string name, string reason)
    {
        var problem = Problem(
            new TopologyBuilder().AddSwitch("lan").AddHost("h").Connect("h", "lan", i => i.Name = name),
            $"interface name '{name}' on host 'h' is not valid");
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_interface_name_is_named()
    {
        Problem(new TopologyBuilder().AddSwitch("lan").AddHost("h").Connect("h", "lan", i => i.Name = ""), "interface name '' on host 'h' is not valid: it is empty");
    }

    [Fact]
    public void A_switch_subnet_that_does_not_parse_is_named_with_an_example()
    {
        var problem = Problem(new TopologyBuilder().AddSwitch("lan", o => o.IPv4Subnet = "10.0.300.0/24"), "switch 'lan' has IPv4 subnet '10.0.300.0/24'");
        Assert.Contains("such as 10.0.5.0/24", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_address_that_does_not_parse_is_named()
    {
        Problem(new TopologyBuilder().AddSwitch("lan").AddHost("h").Connect("h", "lan", i => i.IPv6 = "fd7a::zz/64"), "fd7a::zz/64");
    }

    [Fact]
    public void An_address_outside_its_subnet_is_named()
    {
        Problem(
            new TopologyBuilder().AddSwitch("lan", o => o.IPv6Subnet = "fd00:1::/64").AddHost("h").Connect("h", "lan", i => i.IPv6 = "fd00:2::5/64"),
            "host 'h' has address fd00:2::5/64 outside the subnet fd00:1::/64 of switch 'lan'");
    }

    [Fact]
    public void An_address_given_twice_on_a_segment_is_named()
    {
        Problem(
            new TopologyBuilder().AddSwitch("lan", o => o.IPv4Subnet = "10.9.0.0/24")
                .AddHost("a").Connect("a", "lan", i => i.IPv4 = "10.9.0.5/24")
                .AddHost("b").Connect("b", "lan", i => i.IPv4 = "10.9.0.5/24"),
            "address 10.9.0.5 is given twice on switch 'lan'");
    }

    [Fact]
    public void A_subnet_too_small_for_its_hosts_is_named_with_the_fix()
    {
        var builder = new TopologyBuilder().WithoutIPv6().AddSwitch("lan", o => o.IPv4Subnet = "10.9.0.0/30");
        foreach (var name in new[] { "a", "b", "c" })
        {
            builder = builder.AddHost(name).Connect(name, "lan");
        }
        var problem = Problem(builder, "switch 'lan' subnet 10.9.0.0/30 has no free address left for host 'c'");
        Assert.Contains("larger subnet", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_too_small_for_its_segments_is_named_with_the_fix()
    {
        var problem = Problem(
            new TopologyBuilder().WithoutIPv6().WithIPv4Pool("10.9.0.0/23").AddSwitch("s1").AddSwitch("s2"),
            "the IPv4 pool 10.9.0.0/23 has no free /24 left for switch 's2'");
        Assert.Contains("larger pool", problem, StringComparison.Ordinal);
    }
}
