using System.Net;
using FluentAssertions;
using Isolated.Net.Testing;
using Xunit;
using Xunit.Sdk;

namespace Isolated.Net.FluentAssertions.Tests;

public sealed class AddressAndLinkTests
{
    [PrivilegedFact]
    public void HaveAddress_passes_for_the_kernel_s_addresses_with_or_without_prefix()
    {
        using var net = Networks.Lan();

        net["server"].Should().HaveAddress("10.0.1.1")
            .And.HaveAddress("10.0.1.1/24")
            .And.HaveAddress(IPAddress.Parse("fd7a:15e:0:1::1"))
            .And.HaveAddress("fd7a:15e:0:1::1/64")
            .And.HaveAddress("127.0.0.1/8")
            .And.NotHaveAddress("10.0.1.2")
            .And.NotHaveAddress(IPAddress.Parse("fd7a:15e:0:1::2"))
            .And.NotHaveAddress("10.0.1.1/16");
    }

    [PrivilegedFact]
    public void HaveAddress_fails_listing_what_the_kernel_has()
    {
        using var net = Networks.Lan();

        var error = Assert.Throws<XunitException>(() => net["server"].Should().HaveAddress("10.0.1.1/16", "the {0} plan says so", "address"));

        Assert.Matches(
            @"^Expected host 'server' to have address 10\.0\.1\.1/16 because the address plan says so, but the kernel lists "
            + @"lo 127\.0\.0\.1/8, ::1/128; eth0 10\.0\.1\.1/24, fd7a:15e:0:1::1/64, fe80::[0-9a-f:]+/64\.$",
            error.Message);
        var present = Assert.Throws<XunitException>(() => net["server"].Should().NotHaveAddress("10.0.1.1"));
        Assert.StartsWith("Expected host 'server' not to have address 10.0.1.1, but the kernel lists lo 127.0.0.1/8", present.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void HaveAddress_reads_the_kernel_not_the_topology_description()
    {
        using var net = Networks.Lan();
        Networks.Ip(net["server"], "addr", "del", "10.0.1.1/24", "dev", "eth0");

        Assert.Equal(IPAddress.Parse("10.0.1.1"), net["server"].PrimaryIPv4); // the description still says so
        net["server"].Should().NotHaveAddress("10.0.1.1");
        Assert.Throws<XunitException>(() => net["server"].Should().HaveAddress("10.0.1.1"));
    }

    [PrivilegedFact]
    public void HaveAddress_rejects_text_that_is_not_an_address()
    {
        using var net = Networks.Lan();

        var error = Assert.Throws<FormatException>(() => net["server"].Should().HaveAddress("server"));
        Assert.Contains("'server' is not an IP address", error.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => net["server"].Should().HaveAddress("10.0.1.1/40"));
    }

    [PrivilegedFact]
    public void A_link_is_up_until_one_end_goes_down_then_it_is_down()
    {
        using var net = Networks.Pair();
        var link = net.GetLink("a", "b");
        link.Should().BeUp();

        var notDown = Assert.Throws<XunitException>(() => link.Should().BeDown());
        Assert.Equal("Expected link a<->b to be down, but the kernel shows a:eth0 UP,LOWER_UP and b:eth0 UP,LOWER_UP.", notDown.Message);

        Networks.Ip(net["b"], "link", "set", "eth0", "down");

        link.Should().BeDown();
        var notUp = Assert.Throws<XunitException>(() => link.Should().BeUp("traffic must {0}", "flow"));
        Assert.Equal("Expected link a<->b to be up because traffic must flow, but the kernel shows a:eth0 UP,NO-CARRIER and b:eth0 DOWN.", notUp.Message);

        Networks.Ip(net["b"], "link", "set", "eth0", "up");
        link.Should().BeUp();
    }

    [PrivilegedFact]
    public void A_switch_port_is_checked_on_the_host_s_interface()
    {
        using var net = Networks.Lan();
        var port = net["client"].GetInterface("eth0");
        port.Should().BeUp();

        Networks.Ip(net["client"], "link", "set", "eth0", "down");

        port.Should().BeDown();
        var error = Assert.Throws<XunitException>(() => port.Should().BeUp());
        Assert.Equal("Expected interface client:eth0 to be up, but the kernel shows client:eth0 DOWN.", error.Message);
    }

    [PrivilegedFact]
    public void A_deleted_end_shows_as_missing()
    {
        using var net = Networks.Pair();
        Networks.Ip(net["a"], "link", "del", "eth0");

        net.GetLink("a", "b").Should().BeDown();
        var error = Assert.Throws<XunitException>(() => net.GetLink("a", "b").Should().BeUp());
        Assert.Equal("Expected link a<->b to be up, but the kernel shows a:eth0 missing and b:eth0 missing.", error.Message);
    }

    [Fact]
    public void Null_subjects_fail_with_a_message()
    {
        Assert.Equal("Expected a link, but found <null>.", Assert.Throws<XunitException>(() => ((Link)null!).Should().BeUp()).Message);
        Assert.Equal("Expected a host, but found <null>.", Assert.Throws<XunitException>(() => ((NetHost)null!).Should().HaveAddress("10.0.0.1")).Message);
    }
}
