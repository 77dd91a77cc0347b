using System.Reflection;
using Xunit.Sdk;

namespace Isolated.Net.Testing;

/// <summary>
/// Applied to a whole test assembly: before each test, fails it when privileges are required but
/// missing; after each test, fails it if a thread was left inside a network namespace.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
public sealed class IsolationChecksAttribute : BeforeAfterTestAttribute
{
    public override void Before(MethodInfo methodUnderTest)
    {
        if (NetworkPrivileges.AreRequired && NetworkPrivileges.MissingReason is { } reason
            && methodUnderTest.GetCustomAttributes().Any(a => a is PrivilegedFactAttribute or PrivilegedTheoryAttribute))
        {
            throw new InvalidOperationException($"{NetworkPrivileges.RequireVariable}=1 but this test {reason}: it must not be skipped here.");
        }
    }

    public override void After(MethodInfo methodUnderTest)
    {
        if (OperatingSystem.IsLinux())
        {
            NamespaceLeakDetector.ThrowIfStrayThreads();
        }
    }
}
