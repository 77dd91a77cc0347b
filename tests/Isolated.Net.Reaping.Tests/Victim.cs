using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Isolated.Net.Reaping.Tests;

// A test-host stand-in (tests/Isolated.Net.Reaping.Victim) started with `dotnet exec`, watched through
// its stdout, and killed with SIGKILL.
internal sealed class Victim : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private Victim(Process process, string prefix, string? stateDirectory)
    {
        _process = process;
        Prefix = prefix;
        StateDirectory = stateDirectory ?? "/run/isolated-net";
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_lines)
                {
                    _lines.Add(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Prefix { get; }

    // Where its journal lives.
    public string StateDirectory { get; }

    public int Pid => _process.Id;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    // Every pid and namespace inode the victim announced.
    public IEnumerable<int> ChildPids => Lines.Where(l => l.StartsWith("PID ", StringComparison.Ordinal)).Select(l => int.Parse(l[4..], CultureInfo.InvariantCulture));

    public IEnumerable<string> NamespaceInodes => Lines
        .Where(l => l.StartsWith("NETNS ", StringComparison.Ordinal) || l.StartsWith("NAMED ", StringComparison.Ordinal))
        .SelectMany(l => l.Split(' ').Skip(1));

    // STATE-DIRECTORY: a private journal directory (ISOLATED_NET_STATE_DIR) for the victim and its reaper,
    // which no other run on the machine sweeps.
    public static Victim Start(string? parkAt = null, bool newSession = false, string? stateDirectory = null)
    {
        var prefix = "isonet-victim-" + Guid.NewGuid().ToString("N")[..8];
        var dll = Sibling("Isolated.Net.Reaping.Victim", "Isolated.Net.Reaping.Victim.dll");
        var start = new ProcessStartInfo(newSession ? "setsid" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (newSession)
        {
            start.ArgumentList.Add("dotnet"); // setsid without --fork: the same pid becomes the group leader
        }
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(prefix);
        if (parkAt is not null)
        {
            start.Environment["VICTIM_PARK_AT"] = parkAt;
        }
        if (stateDirectory is not null)
        {
            start.Environment["ISOLATED_NET_STATE_DIR"] = stateDirectory;
        }
        return new Victim(Process.Start(start)!, prefix, stateDirectory);
    }

    public static string Sibling(string project, string file)
    {
        // .../tests/Isolated.Net.Reaping.Tests/bin/<Configuration>/net10.0/ → the sibling project's output.
        var here = AppContext.BaseDirectory.TrimEnd('/');
        var tfm = Path.GetFileName(here);
        var configuration = Path.GetFileName(Path.GetDirectoryName(here)!);
        var root = Path.GetFullPath(Path.Combine(here, "..", "..", "..", "..", ".."));
        foreach (var dir in new[] { Path.Combine(root, "tests", project), Path.Combine(root, "src", project) })
        {
            var path = Path.Combine(dir, "bin", configuration, tfm, file);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException($"{file} of {project} is not built next to the tests");
    }

    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Lines.Any(l => l == text || l.StartsWith(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the victim exited ({_process.ExitCode}) before '{text}': {string.Join(" | ", Lines)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the victim did not print '{text}': {string.Join(" | ", Lines)}");
            }
            await Task.Delay(10);
        }
    }

    public void Kill() => _ = kill(_process.Id, 9);

    public void KillGroup() => _ = kill(-_process.Id, 9);

    public void Dispose()
    {
        Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
