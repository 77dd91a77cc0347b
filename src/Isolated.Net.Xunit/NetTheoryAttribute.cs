using Xunit;
using Xunit.Sdk;

namespace Isolated.Net.Xunit;

/// <summary>
/// The theory counterpart of <see cref="NetFactAttribute"/>: every data row runs inside a network
/// namespace (a fresh one per row, or the topology host named by <see cref="NetHost"/>). Rows of
/// serializable data are listed and filterable one by one.
/// </summary>
[XunitTestCaseDiscoverer("Isolated.Net.Xunit.Sdk.NetTheoryDiscoverer", "Isolated.Net.Xunit")]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public class NetTheoryAttribute : TheoryAttribute
{
    /// <summary>The topology host to run in; null (the default) for a fresh namespace per row.</summary>
    public string? Host { get; set; }

    /// <summary>
    /// When true, the constructor, <c>IAsyncLifetime</c> and <c>Dispose</c> also run inside the namespace;
    /// by default they run in the root namespace.
    /// </summary>
    public bool LifecycleInside { get; set; }

    /// <summary>
    /// When true, every frame the test's namespace (all its interfaces) sends or receives during the test
    /// is written to a pcap file, whose path is printed with the failure output; a passing test deletes it.
    /// </summary>
    public bool Capture { get; set; }
}
