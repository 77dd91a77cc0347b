using Isolated.Net.Xunit.Tests;
using Xunit;

// Run by Isolated.Net.Xunit.V3.Tests (MtpRunTests) on Microsoft.Testing.Platform, one namespace at a time.

namespace Isolated.Net.Xunit.V3.Scenarios.Passing
{
    // What a user's fresh project does: a test in a fresh namespace, and one in a fixture's host.
    public class PassingScenarios(ClientServerFixture fixture, ITestOutputHelper output) : IClassFixture<ClientServerFixture>
    {
        [NetFact]
        public async Task Fresh_namespace()
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
            Assert.True(NetTestContext.Namespace!.IsCurrentThread);
            output.WriteLine($"written from inside net:[{NetTestContext.Namespace.Inode}]");
        }

        [NetFact("client")]
        public async Task Fixture_host()
        {
            using var listener = fixture["server"].Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7100));
            var accept = listener.AcceptAsync(TestContext.Current.CancellationToken);
            using var connection = await NetTestContext.Host!.ConnectTcpAsync("server", 7100);
            using var accepted = await accept;
            Assert.True(fixture["client"].Namespace.IsCurrentThread);
        }
    }
}

namespace Isolated.Net.Xunit.V3.Scenarios.Privileges
{
    // Run with CAP_NET_ADMIN and CAP_SYS_ADMIN dropped: every [Net...] test must be skipped with the
    // reason, or fail with it under ISOLATED_NET_REQUIRE_PRIVILEGES=1. The plain fact passes either way.
    public class PrivilegeScenarios(ClientServerFixture fixture) : IClassFixture<ClientServerFixture>
    {
        [NetFact]
        public void Fresh_namespace() => Assert.Fail("must not run without privileges");

        [NetFact("client")]
        public void Fixture_host() => Assert.Fail($"must not run without privileges ({fixture.GetType().Name})");

        [NetTheory]
        [InlineData(1)]
        [InlineData(2)]
        public void Theory_row(int row) => Assert.Fail($"row {row} must not run without privileges");

        [Fact]
        public void Plain_fact() => Assert.False(fixture.IsBuilt);
    }
}

namespace Isolated.Net.Xunit.V3.Scenarios.Failures
{
    // Run privileged: each test fails on purpose, and the outer test checks how the failure is reported.
    public class FailureScenarios(ClientServerFixture fixture, ITestOutputHelper output) : IClassFixture<ClientServerFixture>
    {
        [NetFact]
        public void Fails_in_a_fresh_namespace()
        {
            output.WriteLine($"written from inside net:[{NetTestContext.Namespace!.Inode}]");
            Assert.Fail("deliberate failure in a fresh namespace");
        }

        [NetFact("client")]
        public void Fails_in_a_host() => Assert.Fail($"deliberate failure in host client of {fixture.GetType().Name}");

        [NetFact("client", Capture = true)]
        public async Task Fails_with_a_capture()
        {
            using var listener = fixture["server"].Listen(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 7101));
            var accept = listener.AcceptAsync(TestContext.Current.CancellationToken);
            using var connection = await NetTestContext.Host!.ConnectTcpAsync("server", 7101);
            using var accepted = await accept;
            Assert.Fail("deliberate failure with a capture");
        }

        [NetFact]
        public void Skips_itself() => Assert.Skip("skipped on purpose from inside the namespace");

        [NetFact("nobody")]
        public void Unknown_host() => Assert.Fail("must not run: no such host");
    }
}
