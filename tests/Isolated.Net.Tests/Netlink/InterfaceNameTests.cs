using Isolated.Net.Netlink;
using Xunit;

namespace Isolated.Net.Tests.Netlink;

public class InterfaceNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("veth0")]
    [InlineData("exactly15bytes_")]
    [InlineData("br-0.100")]
    [InlineData("ünï")] // 5 bytes of UTF-8
    public void Valid_names_pass(string name) => InterfaceName.Validate(name);

    [Theory]
    [InlineData("")]
    [InlineData("sixteen_bytes___")]
    [InlineData("ééééééééé")] // 9 characters, 18 bytes
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a:1")]
    [InlineData("a b")]
    [InlineData("tab\t")]
    [InlineData("nul\0")]
    public void Invalid_names_are_refused_by_name(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => InterfaceName.Validate(name));
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Requests_validate_every_name_they_carry()
    {
        Assert.Throws<ArgumentException>(() => RouteRequest.CreateBridge("far-too-long-name", null, up: false));
        Assert.Throws<ArgumentException>(() => RouteRequest.Rename(3, "bad name"));
        Assert.Throws<ArgumentException>(() => RouteRequest.GetLink("a/b"));
        Assert.Throws<ArgumentException>(() => new VethEnd(".."));
        Assert.Throws<ArgumentException>(() => RouteRequest.SetLinkState("", up: true));
    }
}
