using System.Runtime.CompilerServices;
using Isolated.Net.Xunit.V3.Sdk;
using Xunit;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3;

/// <summary>
/// The theory counterpart of <see cref="NetFactAttribute"/>: every data row runs inside a network
/// namespace (a fresh one per row, or the topology host named by <see cref="NetHost"/>). Rows of
/// serializable data are listed and filterable one by one.
/// </summary>
[XunitTestCaseDiscoverer(typeof(NetTheoryDiscoverer))]
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public class NetTheoryAttribute : TheoryAttribute, INetTestAttribute
{
    /// <summary>Runs every row in a fresh namespace, or in the topology host named <paramref name="host"/>.</summary>
    /// <param name="host">The topology host to run in; null for a fresh namespace per row.</param>
    /// <param name="sourceFilePath">Filled in by the compiler.</param>
    /// <param name="sourceLineNumber">Filled in by the compiler.</param>
    public NetTheoryAttribute(string? host = null, [CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        Host = host;
    }

    /// <summary>The topology host to run in; null (the default) for a fresh namespace per row.</summary>
    public string? Host { get; set; }

    /// <summary>
    /// When true, the constructor, <c>IAsyncLifetime</c> and <c>Dispose</c> also run inside the namespace;
    /// by default they run in the root namespace.
    /// </summary>
    public bool LifecycleInside { get; set; }

    /// <summary>
    /// When true, every frame the test's namespace (all its interfaces) sends or receives during the test
    /// is written to a pcap file, attached to a failing test's result; a passing test deletes it.
    /// </summary>
    public bool Capture { get; set; }
}
