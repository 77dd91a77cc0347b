using System.Diagnostics;
using System.Text.Json;

namespace Isolated.Net.Testing;

/// <summary>
/// Independent views of the kernel for behaviour tests: iproute2 (`ip -j`) and /proc, run from outside
/// our own code. Commands run inside a namespace through nsenter on its /proc path.
/// </summary>
public static class Oracle
{
    /// <summary>Runs a program and returns (exit code, stdout, stderr).</summary>
    public static (int ExitCode, string Stdout, string Stderr) Exec(string file, params string[] args)
    {
        using var process = Process.Start(StartInfo(file, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    /// <summary>How to start a program with its output redirected and its arguments passed verbatim.</summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file.Contains('/', StringComparison.Ordinal) ? file : ExternalTools.Find(file) ?? file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // A non-root PATH (Debian's, or a rootless run's) lacks the sbin directories where ip, tc and nft
        // live; nsenter looks the program up on PATH.
        start.Environment["PATH"] = ExternalTools.SearchPath;
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    /// <summary>Runs `ip -j ARGS` inside the namespace (nsenter --net=PATH) and parses the JSON.</summary>
    public static JsonElement IpJson(NetworkNamespace ns, params string[] args)
    {
        var (code, stdout, stderr) = Exec("nsenter", ["--net=" + ns.ProcPath, "ip", "-j", .. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"ip -j {string.Join(' ', args)} failed ({code}): {stderr}");
        }
        using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(stdout) ? "[]" : stdout);
        return doc.RootElement.Clone();
    }

    /// <summary>The nsfs inode the calling thread's network namespace has (/proc/thread-self/ns/net).</summary>
    public static ulong CurrentThreadNamespaceInode() => InodeOf("/proc/thread-self/ns/net");

    /// <summary>The nsfs inode behind a /proc/.../ns/net link.</summary>
    public static ulong InodeOf(string nsLink)
    {
        var target = new FileInfo(nsLink).LinkTarget ?? throw new InvalidOperationException($"{nsLink} is not a link");
        int open = target.IndexOf('[', StringComparison.Ordinal);
        return ulong.Parse(target.AsSpan(open + 1, target.Length - open - 2), System.Globalization.CultureInfo.InvariantCulture);
    }
}
