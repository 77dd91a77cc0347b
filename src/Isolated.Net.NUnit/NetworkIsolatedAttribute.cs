using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Commands;

namespace Isolated.Net.NUnit;

/// <summary>
/// Runs the test body inside a network namespace, on that namespace's dedicated thread, awaits included.
/// Without a host each test gets a fresh private namespace with loopback up, disposed after the test;
/// with a host (<c>[NetworkIsolated("client")]</c>) it runs in that host of the topology its
/// <see cref="TopologyFixture"/> built in OneTimeSetUp.
/// <para>
/// Put it on a test method, or on a fixture class (or assembly) to cover every test in it; a method's
/// own attribute wins over the class's. SetUp and TearDown run in the root namespace unless
/// <see cref="SetUpInside"/> is set. Without CAP_NET_ADMIN + CAP_SYS_ADMIN the test is Ignored with
/// <see cref="NetworkPrivileges.Requirement"/> as the reason; with <c>ISOLATED_NET_REQUIRE_PRIVILEGES=1</c>
/// it fails instead. When the test fails, the network as the kernel sees it then (the topology's
/// <see cref="Topology.Describe"/>, or the fresh namespace's <see cref="NetworkNamespace.Describe"/>: links,
/// addresses, routes, neighbours and sockets) is written to TestContext.Out, with the pcap file when
/// <see cref="Capture"/> is set. After the test, a thread left inside a namespace fails it, named.
/// </para>
/// </summary>
/// <remarks>
/// NUnit 4.5 and later look the attribute up on the class and assembly too; NUnit uses a class-level
/// one only for methods that carry no other IWrapTestMethod (resp. IWrapSetUpTearDown, e.g.
/// <c>[MaxTime]</c>) attribute, so put it on such methods directly.
/// </remarks>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = true)]
public class NetworkIsolatedAttribute : NUnitAttribute, IWrapTestMethod, IWrapSetUpTearDown, IApplyToTest
{
    // NUnit calls Wrap twice while it builds one test's command on one thread: first around the test
    // method (IWrapTestMethod), then around SetUp/TearDown (IWrapSetUpTearDown), each time on its own
    // instance of the attribute (reflection makes a new one per lookup, so they are equal, not the
    // same). The first call leaves its test here so the second can recognise its pair.
    [ThreadStatic]
    private static (NetworkIsolatedAttribute Attribute, ITest Test)? t_wrappedMethod;

    /// <summary>Each test runs in a fresh private namespace, disposed after it.</summary>
    public NetworkIsolatedAttribute()
    {
    }

    /// <summary>Each test runs in <paramref name="host"/> of the fixture's topology.</summary>
    /// <param name="host">A host or router name of the <see cref="TopologyFixture"/>'s topology.</param>
    public NetworkIsolatedAttribute(string host)
    {
        Host = host;
    }

    /// <summary>The topology host the body runs in; null for a fresh namespace per test.</summary>
    public string? Host { get; }

    /// <summary>
    /// When true, SetUp and TearDown methods (and test actions) also run inside the namespace, on its
    /// thread. By default they run in the root namespace and only the body runs inside.
    /// </summary>
    public bool SetUpInside { get; set; }

    /// <summary>
    /// When true, every frame the namespace (all its interfaces) sends or receives during the test is
    /// written to a pcap file. The file is kept and attached to the test result
    /// (<c>TestContext.AddTestAttachment</c>) when the test fails, and deleted when it passes.
    /// </summary>
    public bool Capture { get; set; }

    /// <summary>
    /// Called by NUnit while it builds the test: Ignores it with the privilege requirement as the reason
    /// when the process lacks the privileges, and marks it not runnable when the host is empty, the
    /// fixture has no topology, or the attribute is on a class or assembly under NUnit before 4.5.
    /// </summary>
    /// <param name="test">The test, fixture or assembly the attribute is on.</param>
    public void ApplyToTest(Test test)
    {
        ArgumentNullException.ThrowIfNull(test);
        if (test.RunState == RunState.NotRunnable)
        {
            return;
        }
        if (test is TestFixture or TestAssembly && ClassLevelProblem(RunningNUnitVersion) is { } problem)
        {
            // Before 4.5, NUnit would run every test of the class outside any namespace, silently.
            test.MakeInvalid(problem);
            return;
        }
        if (Host is not null)
        {
            if (string.IsNullOrWhiteSpace(Host))
            {
                test.MakeInvalid("[NetworkIsolated] was given an empty host name; name a host of the fixture's topology, or use [NetworkIsolated] for a fresh namespace.");
                return;
            }
            if (test.TypeInfo?.Type is { } fixture && !typeof(TopologyFixture).IsAssignableFrom(fixture))
            {
                test.MakeInvalid($"[NetworkIsolated(\"{Host}\")] runs the test in a host of the fixture's topology, but {fixture.Name} does not derive from {nameof(TopologyFixture)}.");
                return;
            }
        }
        PrivilegeGate.Apply(test);
    }

    /// <summary>Called by NUnit while it builds the test's command: wraps it so it runs inside the namespace.</summary>
    /// <param name="command">The command NUnit built so far.</param>
    /// <returns>The wrapping command.</returns>
    public TestCommand Wrap(TestCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var pending = t_wrappedMethod;
        if (command is not TestMethodCommand && pending is { } method && method.Attribute.Equals(this) && ReferenceEquals(method.Test, command.Test))
        {
            t_wrappedMethod = null;
            return new NamespaceTestCommand(command, this, aroundSetUp: true);
        }
        t_wrappedMethod = (this, command.Test);
        return new NamespaceTestCommand(command, this, aroundSetUp: false);
    }

    // The NUnit this process runs (its file version: the assembly version may omit the minor).
    internal static Version RunningNUnitVersion { get; } =
        typeof(TestAttribute).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyFileVersionAttribute), false)
            is [System.Reflection.AssemblyFileVersionAttribute { Version: var file }, ..] && Version.TryParse(file, out var version)
            ? version
            : typeof(TestAttribute).Assembly.GetName().Version ?? new Version(0, 0);

    // Why the attribute cannot apply to a whole class or assembly under this NUnit, or null when it can.
    internal static string? ClassLevelProblem(Version nunit) =>
        nunit < new Version(4, 5)
            ? $"[NetworkIsolated] on a class or assembly needs NUnit 4.5 or later, which applies it to each test; this run uses NUnit {nunit.ToString(3)}, which would run the tests outside any namespace. Update the NUnit package, or put the attribute on each test method."
            : null;

    // Called when any of our commands starts executing: building is over by then, so a pending pair
    // (a class-level attribute NUnit used only around the method) must not match a later build.
    internal static void ForgetPendingWrap() => t_wrappedMethod = null;
}
