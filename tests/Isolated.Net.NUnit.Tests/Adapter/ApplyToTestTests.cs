using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Isolated.Net.NUnit.Tests;

// What the attributes do while NUnit builds tests, checked on test objects built here (the run state
// NUnit reports comes from these). Skipping for lack of privilege is shown by NestedRunTests.
public class ApplyToTestTests
{
    [Test]
    public void A_host_on_a_fixture_without_a_topology_makes_the_test_not_runnable()
    {
        var fixture = new TestFixture(new TypeWrapper(typeof(ApplyToTestTests)));
        new NetworkIsolatedAttribute("client").ApplyToTest(fixture);
        Assert.That(fixture.RunState, Is.EqualTo(RunState.NotRunnable));
        Assert.That(fixture.Properties.Get(PropertyNames.SkipReason), Does.Contain("ApplyToTestTests does not derive from TopologyFixture"));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void An_empty_host_name_makes_the_test_not_runnable(string host)
    {
        var fixture = new TestFixture(new TypeWrapper(typeof(TopologyFixtureTests)));
        new NetworkIsolatedAttribute(host).ApplyToTest(fixture);
        Assert.That(fixture.RunState, Is.EqualTo(RunState.NotRunnable));
        Assert.That(fixture.Properties.Get(PropertyNames.SkipReason), Does.Contain("empty host name"));
    }

    [Test]
    public void A_host_on_a_topology_fixture_leaves_the_test_runnable_when_privileged()
    {
        if (NetworkPrivileges.SkipReason is { } reason)
        {
            Assert.Ignore(reason);
        }
        var fixture = new TestFixture(new TypeWrapper(typeof(TopologyFixtureTests)));
        new NetworkIsolatedAttribute("client").ApplyToTest(fixture);
        new RequiresNetworkPrivilegesAttribute().ApplyToTest(fixture);
        Assert.That(fixture.RunState, Is.EqualTo(RunState.Runnable));
    }

    [Test]
    public void TopologyFixture_carries_the_privilege_gate_to_derived_fixtures()
    {
        var attributes = typeof(TopologyFixtureTests).GetCustomAttributes(typeof(IApplyToTest), inherit: true);
        Assert.That(attributes, Has.Some.InstanceOf<RequiresNetworkPrivilegesAttribute>());
    }
}
