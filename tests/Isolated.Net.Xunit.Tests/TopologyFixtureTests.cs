using Xunit;

namespace Isolated.Net.Xunit.Tests;

// Fixture behaviour that needs no kernel: a topology that fails validation never reaches a syscall.
public class TopologyFixtureTests
{
    private sealed class InvalidFixture : TopologyFixture
    {
        public int ConfigureCalls { get; private set; }

        protected override TopologyBuilder Configure(TopologyBuilder builder)
        {
            ConfigureCalls++;
            return builder.AddHost("a").Connect("a", "nowhere");
        }
    }

    private sealed class NullFixture : TopologyFixture
    {
        protected override TopologyBuilder Configure(TopologyBuilder builder) => null!;
    }

    [Fact]
    public void Build_failure_is_kept_and_rethrown_with_context_at_every_use()
    {
        using var fixture = new InvalidFixture();
        Assert.False(fixture.IsBuilt);

        var first = Assert.Throws<InvalidOperationException>(() => fixture.Topology);
        var second = Assert.Throws<InvalidOperationException>(() => fixture["a"]);

        Assert.Equal(1, fixture.ConfigureCalls);
        Assert.StartsWith("The topology of fixture InvalidFixture failed to build", first.Message, StringComparison.Ordinal);
        Assert.IsType<TopologyValidationException>(first.InnerException);
        Assert.Contains("nowhere", first.Message, StringComparison.Ordinal);
        Assert.Same(first.InnerException, second.InnerException);
        Assert.False(fixture.IsBuilt);
    }

    [Fact]
    public void Configure_returning_null_is_reported()
    {
        using var fixture = new NullFixture();
        var error = Assert.Throws<InvalidOperationException>(() => fixture.Topology);
        Assert.Contains("NullFixture.Configure returned null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_fixture_refuses_use_and_dispose_is_idempotent()
    {
        var fixture = new InvalidFixture();
        fixture.Dispose();
        fixture.Dispose();
        Assert.Throws<ObjectDisposedException>(() => fixture.Topology);
        Assert.Equal(0, fixture.ConfigureCalls);
    }
}
