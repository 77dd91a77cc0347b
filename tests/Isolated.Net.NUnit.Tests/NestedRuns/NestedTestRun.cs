using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;
using Isolated.Net.Testing;
using NUnit.Framework;

namespace Isolated.Net.NUnit.Tests;

/// <summary>One result of a child run, read from its TRX file.</summary>
internal sealed record TrxResult(string Assembly, string ClassName, string Name, string Outcome, string Message, string StdOut, IReadOnlyList<string>? ResultFiles = null)
{
    public override string ToString() => $"{Assembly}: {ClassName}.{Name} {Outcome}: {Message}";
}

// Runs the scenario assemblies (NUnit 4 and NUnit 5 builds) in one child `dotnet test`, the way a user's
// run reports them: through NUnit3TestAdapter into a TRX file.
internal static class NestedTestRun
{
    private static readonly XNamespace s_trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static IReadOnlyList<string> ScenarioAssemblies { get; } =
        typeof(NestedTestRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ScenarioAssemblies").Value!.Split(';');

    /// <summary>
    /// Runs the scenarios: under capsh without CAP_NET_ADMIN and CAP_SYS_ADMIN when
    /// <paramref name="dropPrivileges"/>; with ISOLATED_NET_REQUIRE_PRIVILEGES=1 when
    /// <paramref name="requirePrivileges"/>; with the deliberate failures when <paramref name="failures"/>.
    /// </summary>
    public static IReadOnlyList<TrxResult> Run(bool dropPrivileges, bool requirePrivileges, bool failures)
    {
        foreach (var assembly in ScenarioAssemblies)
        {
            if (!File.Exists(assembly))
            {
                throw new FileNotFoundException($"The scenario assembly was not built with this project: {assembly}", assembly);
            }
        }
        var results = Directory.CreateTempSubdirectory("isolated-net-nunit-");
        try
        {
            string[] test = [DotnetHost(), "test", .. ScenarioAssemblies, "--logger", "trx;LogFileName=scenarios.trx", "--results-directory", results.FullName];
            if (dropPrivileges && ExternalTools.SkipReason("capsh") is { } missing)
            {
                Assert.Ignore(missing);
            }
            var start = dropPrivileges
                ? Start(ExternalTools.Find("capsh")!, ["--drop=cap_net_admin,cap_sys_admin", "--", "-c", "exec \"$0\" \"$@\"", .. test])
                : Start(test[0], test[1..]);
            start.Environment[NetworkPrivileges.RequireVariable] = requirePrivileges ? "1" : null;
            start.Environment["ISOLATED_NET_NUNIT_SCENARIOS"] = failures ? "failures" : null;
            var (exitCode, output) = Execute(start, TimeSpan.FromMinutes(5));
            var trx = Path.Combine(results.FullName, "scenarios.trx");
            if (!File.Exists(trx))
            {
                throw new InvalidOperationException($"The child run (exit {exitCode}) wrote no TRX file:\n{output}");
            }
            var parsed = Parse(XDocument.Load(trx));
            if (parsed.Count == 0)
            {
                throw new InvalidOperationException($"The child run (exit {exitCode}) reported no results:\n{output}");
            }
            return parsed;
        }
        finally
        {
            results.Delete(recursive: true);
        }
    }

    private static ProcessStartInfo Start(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The outer run's test-platform variables would make the child talk to the outer runner.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("VSTEST_", StringComparison.Ordinal) || k.StartsWith("TESTINGPLATFORM_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        return start;
    }

    private static (int ExitCode, string Output) Execute(ProcessStartInfo start, TimeSpan timeout)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"The child run did not finish within {timeout}:\n{stdout.Result}\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : "dotnet";

    private static List<TrxResult> Parse(XDocument trx)
    {
        var definitions = trx.Descendants(s_trx + "UnitTest").ToDictionary(
            t => (string)t.Attribute("id")!,
            t => (Storage: Path.GetFileNameWithoutExtension((string)t.Attribute("storage")!).ToLowerInvariant(), ClassName: (string)t.Element(s_trx + "TestMethod")!.Attribute("className")!));
        return trx.Descendants(s_trx + "UnitTestResult").Select(r =>
        {
            var definition = definitions[(string)r.Attribute("testId")!];
            var output = r.Element(s_trx + "Output");
            return new TrxResult(
                definition.Storage,
                definition.ClassName,
                (string)r.Attribute("testName")!,
                (string)r.Attribute("outcome")!,
                (string?)output?.Element(s_trx + "ErrorInfo")?.Element(s_trx + "Message") ?? "",
                (string?)output?.Element(s_trx + "StdOut") ?? "",
                [.. r.Descendants(s_trx + "ResultFile").Select(f => (string)f.Attribute("path")!)]);
        }).ToList();
    }
}
