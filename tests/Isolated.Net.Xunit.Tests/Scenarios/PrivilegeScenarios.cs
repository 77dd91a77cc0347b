using Isolated.Net.Xunit.Tests;
using Xunit;

namespace Isolated.Net.Xunit.Scenarios.Privileges;

// Run with CAP_NET_ADMIN and CAP_SYS_ADMIN dropped: every [Net...] test must be skipped with the
// reason, or fail with it under ISOLATED_NET_REQUIRE_PRIVILEGES=1. The plain fact passes either way.
public class PrivilegeScenarios(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
{
    [NetFact]
    public void Fresh_namespace() => Assert.Fail("must not run without privileges");

    [NetFact(Host = "client")]
    public void Fixture_host() => Assert.Fail($"must not run without privileges ({fixture.GetType().Name})");

    [NetTheory]
    [InlineData(1)]
    [InlineData(2)]
    public void Theory_row(int row) => Assert.Fail($"row {row} must not run without privileges");

    [Fact]
    public void Plain_fact() => Assert.False(fixture.IsBuilt);
}
