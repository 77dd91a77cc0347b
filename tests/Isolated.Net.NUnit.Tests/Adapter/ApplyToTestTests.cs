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

    [TestCase("4.3.2", true)]
    [TestCase("4.4.0", true)]
    [TestCase("4.5.0", false)]
    [TestCase("5.0.0", false)]
    public void On_a_class_before_NUnit_4_5_the_attribute_refuses_rather_than_run_tests_outside(string version, bool refused)
    {
        var problem = NetworkIsolatedAttribute.ClassLevelProblem(Version.Parse(version));
        Assert.That(problem is not null, Is.EqualTo(refused));
        if (refused)
        {
            Assert.That(problem, Does.Contain("needs NUnit 4.5 or later").And.Contain("NUnit " + version));
        }
    }

    [Test]
    public void The_running_NUnit_takes_the_attribute_on_a_class()
    {
        // This project runs NUnit 4.6+ or 5: a class-level attribute is applied, not refused.
        Assert.That(NetworkIsolatedAttribute.RunningNUnitVersion, Is.GreaterThanOrEqualTo(new Version(4, 5)));
        var fixture = new TestFixture(new TypeWrapper(typeof(ApplyToTestTests)));
        new NetworkIsolatedAttribute().ApplyToTest(fixture);
        Assert.That(fixture.RunState, Is.Not.EqualTo(RunState.NotRunnable));
    }

    [Test]
    public void A_parameterized_method_is_never_taken_for_a_class()
    {
        // NUnit applies a method's attribute to its parameterized suite too; that must not count as class level.
        var method = new MethodWrapper(typeof(ApplyToTestTests), nameof(An_empty_host_name_makes_the_test_not_runnable));
        var suite = new ParameterizedMethodSuite(method);
        new NetworkIsolatedAttribute().ApplyToTest(suite);
        Assert.That(suite.RunState, Is.Not.EqualTo(RunState.NotRunnable));
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
