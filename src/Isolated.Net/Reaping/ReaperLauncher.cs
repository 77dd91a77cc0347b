using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Reaping;

// Starts the reaper for this process: `dotnet exec Isolated.Net.dll reaper-launch JOURNAL PID START`
// with this application's deps file (so it finds Tmds.LibC exactly as we do). The launched process
// starts the real reaper and exits at once, so the reaper's parent is gone: it is no longer in this
// process's tree (what `dotnet test --blame-hang` kills, deepest first), and it calls setsid so
// signals to our process group or terminal do not reach it either. It says "ready" when it watches.
internal static class ReaperLauncher
{
    public const string LaunchVerb = "reaper-launch";
    public const string WatchVerb = "reaper-watch";

    public static int Start(string journalPath, int hostPid, long hostStart)
    {
        var startInfo = ReaperStartInfo(LaunchVerb, journalPath, hostPid.ToString(CultureInfo.InvariantCulture), hostStart.ToString(CultureInfo.InvariantCulture));
        startInfo.RedirectStandardOutput = true;
        startInfo.RedirectStandardError = true;
        using var launcher = Process.Start(startInfo)
            ?? throw new InvalidOperationException("Process.Start returned no process for the reaper.");
        var stderr = launcher.StandardError.ReadToEndAsync();
        // The reaper writes "ready PID" on the stdout it inherited from the launcher. Read lines until
        // then; do not wait for end-of-file, which depends on every holder of the pipe closing it.
        var ready = ReadReadyLineAsync(launcher.StandardOutput);
        if (!ready.Wait(TimeSpan.FromSeconds(30)))
        {
            launcher.Kill();
            throw new TimeoutException("the reaper did not report ready within 30 s");
        }
        if (ready.Result is not { } pid)
        {
            launcher.WaitForExit(TimeSpan.FromSeconds(5));
            var error = stderr.Wait(TimeSpan.FromSeconds(1)) ? stderr.Result.Trim() : "";
            throw new InvalidOperationException($"the reaper did not start (launcher exit code {(launcher.HasExited ? launcher.ExitCode : -1)}): {error}".Trim());
        }
        return pid;
    }

    private static async Task<int?> ReadReadyLineAsync(StreamReader output)
    {
        while (await output.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("ready ", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                return pid;
            }
        }
        return null;
    }

    internal static ProcessStartInfo ReaperStartInfo(params string[] arguments)
    {
        var assembly = typeof(ReaperLauncher).Assembly.Location;
        assembly = string.IsNullOrEmpty(assembly) ? assembly : Path.GetFullPath(assembly);
        if (string.IsNullOrEmpty(assembly))
        {
            throw new InvalidOperationException("the Isolated.Net assembly has no file location (single-file publish is not supported by the reaper)");
        }
        var startInfo = new ProcessStartInfo(DotnetHost()) { UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add("--runtimeconfig");
        startInfo.ArgumentList.Add(RuntimeConfig());
        if (DepsFile() is { } deps)
        {
            startInfo.ArgumentList.Add("--depsfile");
            startInfo.ArgumentList.Add(deps);
        }
        startInfo.ArgumentList.Add(assembly);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        if (Environment.ProcessPath is { } processPath && Path.GetFileName(processPath) == "dotnet")
        {
            return processPath;
        }
        // .../shared/Microsoft.NETCore.App/10.0.x/ → .../dotnet
        var runtimeDirectory = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        var candidate = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", "..", "dotnet"));
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    private static string? DepsFile() =>
        (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);

    // A runtimeconfig naming the framework we run on (the library itself ships none).
    private static string RuntimeConfig()
    {
        var version = Environment.Version;
        var path = Path.Combine(RunJournal.Directory, string.Create(CultureInfo.InvariantCulture, $"reaper-{version.Major}.{version.Minor}.runtimeconfig.json"));
        if (!File.Exists(path))
        {
            var temporary = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            var framework = string.Create(CultureInfo.InvariantCulture, $"{version.Major}.{version.Minor}");
            File.WriteAllText(temporary,
                "{\"runtimeOptions\":{\"tfm\":\"net" + framework + "\",\"rollForward\":\"LatestMinor\",\"framework\":{\"name\":\"Microsoft.NETCore.App\",\"version\":\"" + framework + ".0\"}}}");
            File.Move(temporary, path, overwrite: true);
        }
        return path;
    }
}
