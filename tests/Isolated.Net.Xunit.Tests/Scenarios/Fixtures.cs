namespace Isolated.Net.Xunit.Scenarios;

// Connects to a switch that does not exist: Build() fails validation.
public sealed class BrokenFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddHost("client").Connect("client", "missing-switch");
}
