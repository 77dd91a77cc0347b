namespace Isolated.Net.NUnit;

/// <summary>
/// What the running <see cref="NetworkIsolatedAttribute"/> test runs in. Flows with the test's async
/// context: available in the body (and in SetUp and TearDown with
/// <see cref="NetworkIsolatedAttribute.SetUpInside"/>); null elsewhere.
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

    internal static void Clear() => s_current.Value = null;

    private sealed record Target(NetworkNamespace Namespace, NetHost? Host);
}
