using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Isolated.Net.Analyzers.Tests;

// Runs an analyzer (and optionally its code fix) over test sources that reference this process's own
// framework assemblies and the real Isolated.Net.dll: nothing is downloaded, so the tests run offline.
// The test adapters' attributes are stubbed by full name (Adapters below), as the analyzer only knows the names.
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static Task VerifyAsync(string source) => VerifyFixAsync<EmptyCodeFixProvider>(source, fixedSource: null);

    public static async Task VerifyFixAsync<TFix>(string source, string? fixedSource)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = Usings + source,
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
        };
        test.TestState.Sources.Add(("Adapters.cs", Adapters));
        test.TestState.AdditionalReferences.AddRange(References.Value);
        if (fixedSource is not null)
        {
            test.FixedCode = Usings + fixedSource;
            test.FixedState.Sources.Add(("Adapters.cs", Adapters));
        }
        await test.RunAsync();
    }

    private const string Usings = """
        using System;
        using System.Net;
        using System.Net.Http;
        using System.Net.Sockets;
        using System.Threading;
        using System.Threading.Tasks;
        using Isolated.Net;

        """;

    public const string Adapters = """
        namespace Isolated.Net.Xunit
        {
            public class NetFactAttribute : System.Attribute { public string Host { get; set; } }
            public class NetTheoryAttribute : System.Attribute { public string Host { get; set; } }
            public static class NetTestContext { public static Isolated.Net.NetworkNamespace Namespace => null; }
        }
        namespace Isolated.Net.NUnit
        {
            public class NetworkIsolatedAttribute : System.Attribute
            {
                public NetworkIsolatedAttribute() { }
                public NetworkIsolatedAttribute(string host) { }
            }
        }
        namespace NUnit.Framework
        {
            public sealed class TestAttribute : System.Attribute { }
        }
        namespace Xunit
        {
            public sealed class FactAttribute : System.Attribute { }
        }
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var ours = new[] { typeof(NetworkNamespace).Assembly.Location, typeof(Microsoft.Extensions.Logging.ILogger).Assembly.Location };
        return Directory.GetFiles(runtime, "*.dll")
            .Where(path => Path.GetFileName(path) is var name && (name.StartsWith("System.", StringComparison.Ordinal) || name is "netstandard.dll" or "mscorlib.dll"))
            .Concat(ours)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });
}
