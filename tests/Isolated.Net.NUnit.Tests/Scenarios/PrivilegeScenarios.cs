using NUnit.Framework;

namespace Isolated.Net.NUnit.Scenarios;

// Run without CAP_NET_ADMIN/CAP_SYS_ADMIN (capsh --drop) these are Ignored with the requirement as the
// reason, or fail with ISOLATED_NET_REQUIRE_PRIVILEGES=1. Privileged, they pass.
public class PrivilegeScenarios
{
    [Test, NetworkIsolated]
    public void Fresh_namespace_test() => Assert.That(NetTestContext.Namespace!.IsCurrentThread, Is.True);

    [Test, RequiresNetworkPrivileges]
    public void Plain_privileged_test()
    {
        using var ns = NetworkNamespace.Create();
        Assert.That(ns.GetLinks(), Has.Count.EqualTo(1));
    }
}

public class PrivilegeTopologyScenarios : TopologyFixture
{
    protected override TopologyBuilder Configure(TopologyBuilder builder) => builder.AddHost("solo");

    [Test, NetworkIsolated("solo")]
    public void Host_test() => Assert.That(NetTestContext.Host, Is.SameAs(this["solo"]));
}

[NetworkIsolated]
public class ClassLevelPrivilegeScenarios
{
    [Test]
    public void Class_level_test() => Assert.That(NetTestContext.Namespace, Is.Not.Null);
}
