using System.Diagnostics;
using System.Xml.Linq;

namespace Isolated.Net.Testing;

/// <summary>
/// Runs a test command (a child <c>dotnet test</c>, or a Microsoft.Testing.Platform test executable) and
/// reads the TRX file it writes. Optionally under <c>capsh --drop=cap_net_admin,cap_sys_admin</c>, so the
/// child really lacks the capabilities even when this process is root. Results go to a temporary
/// directory, never to the CI's TestResults. Framework-free: also compiled into the xUnit v3 tests.
/// </summary>
public static class TrxRun
{
    private static readonly XNamespace Trx = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    /// <summary>One test's result: its short name, TRX outcome, error message and standard output.</summary>
    public sealed record Result(string Name, string Outcome, string Message, string StdOut);

    /// <summary>
    /// Runs <paramref name="command"/> (given the results directory) and returns the results of the TRX
    /// file <paramref name="trxFileName"/> in that directory, by short name (<c>Method(row: 1)</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, Result> Run(Func<string, string[]> command, string trxFileName, bool dropCapabilities, bool requirePrivileges)
    {
        var directory = Directory.CreateTempSubdirectory("isolated-net-nested-");
        try
        {
            string[] test = command(directory.FullName);
            var start = dropCapabilities
                // capsh runs bash with both capabilities gone from the bounding set, so exec drops them.
                ? Oracle.StartInfo(ExternalTools.Find("capsh") ?? throw new InvalidOperationException(ExternalTools.SkipReason("capsh")), ["--drop=cap_net_admin,cap_sys_admin", "--", "-c", "exec \"$0\" \"$@\"", .. test])
                : Oracle.StartInfo(test[0], test[1..]);
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
            var trx = Directory.GetFiles(directory.FullName, trxFileName, SearchOption.AllDirectories).FirstOrDefault();
            if (trx is null)
            {
                throw new InvalidOperationException($"the nested run wrote no TRX (exit {process.ExitCode}): {string.Join(' ', test)}\n{stdout.Result}\n{stderr}");
            }
            return XDocument.Load(trx).Descendants(Trx + "UnitTestResult").Select(r => new Result(
                    (string)r.Attribute("testName")!,
                    (string)r.Attribute("outcome")!,
                    (string?)r.Element(Trx + "Output")?.Element(Trx + "ErrorInfo")?.Element(Trx + "Message") ?? "",
                    // VSTest writes the output as StdOut; xunit's own TRX report (--report-xunit-trx) as TextMessages.
                    (string?)r.Element(Trx + "Output")?.Element(Trx + "StdOut")
                        ?? string.Join('\n', r.Element(Trx + "Output")?.Element(Trx + "TextMessages")?.Elements(Trx + "Message").Select(m => m.Value) ?? [])))
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
}
