using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Isolated.Net.NUnit;

/// <summary>
/// Marks a test, fixture or assembly that creates network namespaces itself (through
/// <see cref="NetworkNamespace"/> or <see cref="TopologyBuilder"/>): without CAP_NET_ADMIN +
/// CAP_SYS_ADMIN it is Ignored with <see cref="NetworkPrivileges.Requirement"/> as the reason; with
/// <c>ISOLATED_NET_REQUIRE_PRIVILEGES=1</c> it runs, and fails. <see cref="NetworkIsolatedAttribute"/>
/// and <see cref="TopologyFixture"/> already imply it.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = true)]
public sealed class RequiresNetworkPrivilegesAttribute : NUnitAttribute, IApplyToTest
{
    /// <summary>Called by NUnit while it builds the test: Ignores it when the privileges are missing.</summary>
    /// <param name="test">The test, fixture or assembly the attribute is on.</param>
    public void ApplyToTest(Test test)
    {
        ArgumentNullException.ThrowIfNull(test);
        PrivilegeGate.Apply(test);
    }
}
