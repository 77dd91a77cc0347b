using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;
using Isolated.Net.Testing;

namespace Isolated.Net.Xunit.Tests;

// Runs part of the Scenarios project in a child `dotnet test` and reads its TRX. Optionally under
// `capsh --drop=cap_net_admin,cap_sys_admin`, so the child really lacks the capabilities even when
// this process is root. Results go to a temporary directory, never to the CI's TestResults.
internal static class NestedRun
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public sealed record Result(string Name, string Outcome, string Message, string StdOut);

    public static IReadOnlyDictionary<string, Result> Run(string filter, bool dropCapabilities, bool requirePrivileges)
    {
        var scenarios = typeof(NestedRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ScenariosAssembly").Value!;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var directory = Directory.CreateTempSubdirectory("isolated-net-xunit-nested-");
        try
        {
            string[] test = [dotnet, "test", scenarios, "--filter", filter, "--logger", "trx;LogFileName=nested.trx", "--results-directory", directory.FullName];
            var start = dropCapabilities
                // capsh runs bash with both capabilities gone from the bounding set, so exec drops them.
                ? Start(ExternalTools.Find("capsh") ?? throw new InvalidOperationException(ExternalTools.SkipReason("capsh")), ["--drop=cap_net_admin,cap_sys_admin", "--", "-c", "exec \"$0\" \"$@\"", .. test])
                : Start(test[0], test[1..]);
            start.Environment.Remove(NetworkPrivileges.RequireVariable);
            if (requirePrivileges)
            {
                start.Environment[NetworkPrivileges.RequireVariable] = "1";
            }
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the nested run did not finish in 3 minutes: {string.Join(' ', test)}");
            }
            var trx = Path.Combine(directory.FullName, "nested.trx");
            if (!File.Exists(trx))
            {
                throw new InvalidOperationException($"the nested run wrote no TRX (exit {process.ExitCode}):\n{stdout.Result}\n{stderr}");
            }
            return XDocument.Load(trx).Descendants(Trx + "UnitTestResult").Select(r => new Result(
                    (string)r.Attribute("testName")!,
                    (string)r.Attribute("outcome")!,
                    (string?)r.Element(Trx + "Output")?.Element(Trx + "ErrorInfo")?.Element(Trx + "Message") ?? "",
                    (string?)r.Element(Trx + "Output")?.Element(Trx + "StdOut") ?? ""))
                .ToDictionary(r => ShortName(r.Name));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // "Namespace.Class.Method(row: 1)" → "Method(row: 1)"
    private static string ShortName(string testName)
    {
        int paren = testName.IndexOf('(', StringComparison.Ordinal);
        int dot = (paren < 0 ? testName : testName[..paren]).LastIndexOf('.');
        return testName[(dot + 1)..];
    }

    private static ProcessStartInfo Start(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }
}
