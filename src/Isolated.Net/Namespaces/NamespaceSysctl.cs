using System.Text;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Namespaces;

// Per-namespace sysctls under /proc/sys/net. The kernel resolves /proc/sys/net against the network
// namespace of the task that opens the file, so every open happens on the namespace's thread. Only
// net.* keys are accepted: the rest of /proc/sys is global, and writing it from here would change the
// host.
internal static unsafe class NamespaceSysctl
{
    private const string Root = "/proc/sys/";

    // Equivalent to: ip netns exec NS sysctl -w KEY=VALUE
    public static void Write(NetworkNamespace ns, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(ns);
        ArgumentNullException.ThrowIfNull(value);
        var path = PathOf(key);
        var operation = $"setting sysctl {path[Root.Length..]}={value} in {ns}";
        ns.Run(() => WriteFile(path, value, operation));
    }

    // Equivalent to: sysctl -w KEY=VALUE, in the calling thread's namespace: for a namespace thread on
    // its way in, before its NetworkNamespace exists.
    public static void WriteHere(string key, string value)
    {
        var path = PathOf(key);
        WriteFile(path, value, $"setting sysctl {path[Root.Length..]}={value} in a new namespace");
    }

    private static void WriteFile(string path, string value, string operation)
    {
        var bytes = Encoding.UTF8.GetBytes(value.EndsWith('\n') ? value : value + "\n");
        int fd = Open(path, LibC.O_WRONLY);
        if (fd < 0)
        {
            throw ErrorFromLastErrno(operation);
        }
        try
        {
            fixed (byte* data = bytes)
            {
                long written;
                while ((written = LibC.write(fd, data, bytes.Length)) < 0 && LastErrno == EINTR)
                {
                }
                if (written < 0)
                {
                    throw ErrorFromLastErrno(operation);
                }
            }
        }
        finally
        {
            _ = LibC.close(fd);
        }
    }

    // Equivalent to: ip netns exec NS sysctl -n KEY
    public static string Read(NetworkNamespace ns, string key)
    {
        ArgumentNullException.ThrowIfNull(ns);
        var path = PathOf(key);
        var operation = $"reading sysctl {path[Root.Length..]} in {ns}";
        return ns.Run(() =>
        {
            int fd = Open(path, LibC.O_RDONLY);
            if (fd < 0)
            {
                throw ErrorFromLastErrno(operation);
            }
            try
            {
                var buffer = new byte[4096];
                long read;
                fixed (byte* data = buffer)
                {
                    while ((read = LibC.read(fd, data, buffer.Length)) < 0 && LastErrno == EINTR)
                    {
                    }
                }
                if (read < 0)
                {
                    throw ErrorFromLastErrno(operation);
                }
                return Encoding.UTF8.GetString(buffer, 0, (int)read).TrimEnd('\n');
            }
            finally
            {
                _ = LibC.close(fd);
            }
        });
    }

    /// <summary>
    /// /proc/sys/net/... for "net/ipv4/ip_forward" or "net.ipv4.ip_forward" (dotted keys are split
    /// at every dot, so an interface name with a dot needs the slash form).
    /// </summary>
    public static string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var relative = key.Contains('/', StringComparison.Ordinal) ? key : key.Replace('.', '/');
        var segments = relative.Split('/');
        if (segments[0] != "net" || segments.Length < 2)
        {
            throw new ArgumentException($"Sysctl key '{key}' is not under net/: only network sysctls are per namespace.", nameof(key));
        }
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Sysctl key '{key}' has an empty, '.', '..' or NUL segment.", nameof(key));
            }
        }
        return Root + relative;
    }
}
