using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Benchmarks;

// Benchmark (c): floor/floor.c, compiled here with cc -O2, builds and disposes the same 2-host topology
// with raw syscalls and rtnetlink, timing each iteration itself (no process start in the numbers).
internal sealed class SyscallFloor : IDisposable
{
    private readonly string _binary;

    private SyscallFloor(string binary) => _binary = binary;

    // Compiles the floor, or returns null with the reason it cannot run here.
    public static (SyscallFloor? Floor, string? SkipReason) Compile()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "floor", "floor.c");
        if (!File.Exists(source))
        {
            return (null, $"floor source missing at {source}");
        }
        string binary = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"isolated-net-floor-{Environment.ProcessId}"));
        try
        {
            var (code, _, error) = Exec("cc", "-O2", "-o", binary, source);
            return code == 0 ? (new SyscallFloor(binary), null) : (null, "cc -O2 failed: " + error.Trim());
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "no C compiler (cc) on PATH; install gcc to measure the floor");
        }
    }

    // Runs warmup unmeasured iterations, then adds iterations measured ones to samples: the 2-host
    // topology, or with lanHosts the switched LAN of that many hosts.
    public void Measure(int warmup, int iterations, Samples samples, int lanHosts = 0)
    {
        var arguments = new List<string> { iterations.ToString(CultureInfo.InvariantCulture), warmup.ToString(CultureInfo.InvariantCulture) };
        if (lanHosts > 0)
        {
            arguments.AddRange(["lan", lanHosts.ToString(CultureInfo.InvariantCulture)]);
        }
        var (exit, output, stderr) = Exec(_binary, [.. arguments]);
        if (exit != 0)
        {
            throw new InvalidOperationException("the floor program failed: " + stderr.Trim());
        }
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            samples.Add(long.Parse(line, CultureInfo.InvariantCulture) / 1e6);
        }
    }

    public void Dispose() => File.Delete(_binary);

    private static (int Code, string Output, string Error) Exec(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
