using System.Runtime.CompilerServices;
using Isolated.Net.Xunit.V3.Sdk;
using Xunit;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3;

/// <summary>
/// A fact whose body runs inside a network namespace, on that namespace's dedicated thread (awaits
/// included). Without <see cref="NetHost"/> every run gets a fresh private namespace with loopback up,
/// disposed after the test; with <see cref="NetHost"/> it runs in that host of the topology a
/// <see cref="TopologyFixture"/> (class, collection or assembly fixture, taken by the constructor) provides.
/// Without CAP_NET_ADMIN + CAP_SYS_ADMIN the test is skipped at run time with
/// <see cref="NetworkPrivileges.Requirement"/> as the reason; with <c>ISOLATED_NET_REQUIRE_PRIVILEGES=1</c>
/// it fails instead.
/// </summary>
[XunitTestCaseDiscoverer(typeof(NetFactDiscoverer))]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public class NetFactAttribute : FactAttribute, INetTestAttribute
{
    /// <summary>Runs the test in a fresh namespace, or in the topology host named <paramref name="host"/>.</summary>
    /// <param name="host">The topology host to run in, e.g. <c>"client"</c>; null for a fresh namespace.</param>
    /// <param name="sourceFilePath">Filled in by the compiler.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler.</param>
    public NetFactAttribute(string? host = null, [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        Host = host;
    }

    /// <summary>
    /// The topology host to run in, e.g. <c>"client"</c>; null (the default) for a fresh namespace per test.
    /// </summary>
    public string? Host { get; set; }

    /// <summary>
    /// When true, the test class's constructor, <c>IAsyncLifetime</c> and <c>Dispose</c> also run inside
    /// the namespace (on its thread). By default they run in the root namespace and only the body runs inside.
    /// </summary>
    public bool LifecycleInside { get; set; }

    /// <summary>
    /// When true, every frame the test's namespace (all its interfaces) sends or receives during the test
    /// is written to a pcap file, attached to a failing test's result and named in its output; a passing
    /// test deletes it.
    /// </summary>
    public bool Capture { get; set; }
}
