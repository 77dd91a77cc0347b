namespace Isolated.Net.Xunit.V3.Tests;

// One host for the whole assembly (xUnit v3 assembly fixture). ClientServerFixture and RoutedFixture are
// the v2 tests' own (tests/Isolated.Net.Xunit.Tests/Fixtures.cs, compiled here against the v3 TopologyFixture).
public sealed class AssemblyWideFixture : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder.AddHost("solo");
}
