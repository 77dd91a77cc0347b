using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal.Commands;

namespace Isolated.Net.NUnit.Tests;

[NetworkIsolated]
public class ClassLevelTests
{
    private ulong _setUpInode;

    [SetUp]
    public void SetUp() => _setUpInode = Membership.Current;

    [Test]
    public void Every_test_of_the_class_runs_in_a_fresh_namespace()
    {
        Assert.That(Membership.Current, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
        Assert.That(_setUpInode, Is.EqualTo(Membership.RootInode));
    }

    [TestCase(1)]
    [TestCase(2)]
    public async Task Rows_and_async_tests_too(int delay)
    {
        await Task.Delay(delay);
        Assert.That(Membership.Current, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
    }

    [Test, NetworkIsolated(SetUpInside = true)]
    public void A_method_attribute_wins_over_the_class_attribute()
    {
        Assert.That(_setUpInode, Is.EqualTo(Membership.Current).And.Not.EqualTo(Membership.RootInode));
    }

    // [MaxTime] is an IWrapSetUpTearDown: NUnit then uses the class attribute around the method only.
    [Test, MaxTime(60_000)]
    public void With_another_SetUp_wrapper_on_the_method_the_body_still_runs_inside()
    {
        Assert.That(Membership.Current, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
        Assert.That(_setUpInode, Is.EqualTo(Membership.RootInode));
    }

    // With another IWrapTestMethod on the method, NUnit uses the class attribute around SetUp only:
    // the body still runs inside, and SetUp with it.
    [Test, PassThroughWrapper]
    public async Task With_another_method_wrapper_on_the_method_the_body_still_runs_inside()
    {
        await Task.Yield();
        Assert.That(Membership.Current, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
        Assert.That(_setUpInode, Is.EqualTo(Membership.Current));
    }

    [AttributeUsage(AttributeTargets.Method)]
    private sealed class PassThroughWrapperAttribute : NUnitAttribute, IWrapTestMethod
    {
        public TestCommand Wrap(TestCommand command) => command;
    }
}

[NetworkIsolated("router")]
public class ClassLevelHostTests : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder
        .AddRouter("router")
        .AddHost("a")
        .Link("a", "router");

    [Test]
    public void Every_test_of_the_class_runs_in_the_host()
    {
        Assert.That(NetTestContext.Host, Is.SameAs(this["router"]));
        Assert.That(Membership.Current, Is.EqualTo(this["router"].Namespace.Inode));
    }

    [Test, NetworkIsolated("a")]
    public void A_method_can_pick_another_host()
    {
        Assert.That(Membership.Current, Is.EqualTo(this["a"].Namespace.Inode));
    }
}
