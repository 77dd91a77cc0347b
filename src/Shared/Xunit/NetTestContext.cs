// Compiled into both xUnit adapters (Isolated.Net.Xunit for v2, Isolated.Net.Xunit.V3 for v3), each in
// its own namespace: the same fixture and context types, written once.
#if ISOLATED_NET_XUNIT_V3
namespace Isolated.Net.Xunit.V3;
#else
namespace Isolated.Net.Xunit;
#endif

/// <summary>
/// What the running <see cref="NetFactAttribute"/> or <see cref="NetTheoryAttribute"/> test runs in.
/// Flows with the test's async context: available in the body, and in the constructor, Dispose and
/// IAsyncLifetime of its test class; null elsewhere.
/// </summary>
public static class NetTestContext
{
    private static readonly AsyncLocal<Target?> s_current = new();

    /// <summary>
    /// The namespace the body runs in: the fresh namespace made for this test, or the host's namespace.
    /// Use it for code that leaves the namespace thread, e.g. <c>NetTestContext.Namespace!.CreateHttpClient()</c>.
    /// </summary>
    public static NetworkNamespace? Namespace => s_current.Value?.Namespace;

    /// <summary>The topology host the body runs in; null for a fresh namespace or outside such a test.</summary>
    public static NetHost? Host => s_current.Value?.Host;

    internal static void Set(NetworkNamespace ns, NetHost? host) => s_current.Value = new Target(ns, host);

    private sealed record Target(NetworkNamespace Namespace, NetHost? Host);
}
