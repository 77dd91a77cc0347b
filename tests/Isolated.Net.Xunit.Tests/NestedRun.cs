using System.Reflection;
using Isolated.Net.Testing;

namespace Isolated.Net.Xunit.Tests;

// Runs part of the Scenarios project in a child `dotnet test` (VSTest) and reads its TRX.
internal static class NestedRun
{
    public static IReadOnlyDictionary<string, TrxRun.Result> Run(string filter, bool dropCapabilities, bool requirePrivileges)
    {
        var scenarios = typeof(NestedRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ScenariosAssembly").Value!;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return TrxRun.Run(results => [dotnet, "test", scenarios, "--filter", filter, "--logger", "trx;LogFileName=nested.trx", "--results-directory", results],
            "nested.trx", dropCapabilities, requirePrivileges);
    }
}
