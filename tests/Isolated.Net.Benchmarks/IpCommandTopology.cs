using System.Diagnostics;
using System.Globalization;

namespace Isolated.Net.Benchmarks;

// Benchmark (b): the 2-host topology as users script it today, one `ip` process per step, in named
// namespaces with unique names. Every namespace this class adds is deleted in a finally, even when a
// step fails, so a failed run leaves nothing in /run/netns.
internal static class IpCommandTopology
{
    private static int s_counter;

    public static void BuildAndDispose()
    {
        string prefix = string.Create(CultureInfo.InvariantCulture, $"inbench-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}");
        string a = prefix + "-a", b = prefix + "-b";
        var added = new List<string>(2);
        try
        {
            Ip("netns", "add", a);
            added.Add(a);
            Ip("netns", "add", b);
            added.Add(b);
            Ip("-n", a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b);
            foreach (var (ns, v4, v6) in new[] { (a, "10.0.1.1/24", "fd7a:15e:0:1::1/64"), (b, "10.0.1.2/24", "fd7a:15e:0:1::2/64") })
            {
                Ip("-n", ns, "link", "set", "lo", "up");
                Ip("-n", ns, "addr", "add", v4, "dev", "eth0");
                Ip("-n", ns, "addr", "add", v6, "dev", "eth0", "nodad");
                Ip("-n", ns, "link", "set", "eth0", "up");
            }
        }
        finally
        {
            foreach (var ns in added)
            {
                Ip("netns", "del", ns);
            }
        }
    }

    public static bool IsAvailable()
    {
        try
        {
            Ip("-V");
            return true;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return false;
        }
    }

    private static void Ip(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start ip");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }
}
