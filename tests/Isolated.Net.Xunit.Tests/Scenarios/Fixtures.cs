namespace Isolated.Net.Xunit.Scenarios;

public sealed class LanFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddSwitch("lan")
        .AddHost("server").Connect("server", "lan")
        .AddHost("client").Connect("client", "lan");
}

// Connects to a switch that does not exist: Build() fails validation.
public sealed class BrokenFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("client").Connect("client", "missing-switch");
}
