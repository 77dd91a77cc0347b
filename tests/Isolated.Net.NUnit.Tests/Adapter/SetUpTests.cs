using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

public class SetUpTests
{
    private ulong _setUpInode;
    private ulong _bodyInode;
    private bool _setUpInsideExpected;

    [SetUp]
    public async Task SetUpAsync()
    {
        // An async SetUp: inside the namespace with SetUpInside, NUnit awaits it on the namespace thread.
        await Task.Delay(1);
        _setUpInode = Membership.Current;
    }

    [TearDown]
    public void TearDown()
    {
        var tearDown = Membership.Current;
        var expectedInside = _setUpInsideExpected;
        _setUpInsideExpected = false; // one fixture instance serves every test
        if (expectedInside)
        {
            Assert.That(tearDown, Is.EqualTo(_bodyInode), "TearDown runs inside with SetUpInside");
            Assert.That(NetTestContext.Namespace, Is.Not.Null);
        }
        else
        {
            Assert.That(tearDown, Is.EqualTo(Membership.RootInode), "TearDown runs in the root namespace by default");
            Assert.That(NetTestContext.Namespace, Is.Null);
        }
    }

    [Test, NetworkIsolated]
    public void By_default_SetUp_runs_in_the_root_namespace()
    {
        _bodyInode = Membership.Current;
        Assert.That(_setUpInode, Is.EqualTo(Membership.RootInode));
        Assert.That(_bodyInode, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
    }

    [Test, NetworkIsolated(SetUpInside = true)]
    public void With_SetUpInside_SetUp_and_TearDown_run_in_the_same_namespace_as_the_body()
    {
        _setUpInsideExpected = true;
        _bodyInode = Membership.Current;
        Assert.That(_setUpInode, Is.EqualTo(_bodyInode));
        Assert.That(_bodyInode, Is.EqualTo(NetTestContext.Namespace!.Inode).And.Not.EqualTo(Membership.RootInode));
    }

    [Test, NetworkIsolated(SetUpInside = true)]
    public async Task With_SetUpInside_an_async_body_follows_an_async_SetUp_on_the_same_thread()
    {
        _setUpInsideExpected = true;
        await Task.Yield();
        _bodyInode = Membership.Current;
        Assert.That(_setUpInode, Is.EqualTo(_bodyInode));
        Assert.That(NetTestContext.Namespace!.IsCurrentThread, Is.True);
    }
}

public class HostSetUpTests : TopologyFixture
{
    private ulong _setUpInode;

    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder.AddHost("solo");

    [SetUp]
    public void SetUp() => _setUpInode = Membership.Current;

    [Test, NetworkIsolated("solo", SetUpInside = true)]
    public void SetUp_runs_in_the_host_too()
    {
        Assert.That(_setUpInode, Is.EqualTo(this["solo"].Namespace.Inode));
        Assert.That(Membership.Current, Is.EqualTo(_setUpInode));
    }

    [Test, NetworkIsolated("solo")]
    public void SetUp_stays_in_the_root_namespace_by_default()
    {
        Assert.That(_setUpInode, Is.EqualTo(Membership.RootInode));
        Assert.That(Membership.Current, Is.EqualTo(this["solo"].Namespace.Inode));
    }
}
