using System.Globalization;
using System.Runtime.InteropServices;

namespace Isolated.Net.DependencyInjection.Tests;

// Which network namespaces this process still holds through its file descriptors: nsfs fds directly,
// and sockets through SIOCGSKNS (an fd for the namespace a socket lives in). A socket pins its
// namespace as surely as a namespace fd does.
internal static partial class ProcessNamespaces
{
    private const nuint SIOCGSKNS = 0x894C;

    public static IReadOnlyList<string> HeldAmong(IReadOnlySet<ulong> inodes)
    {
        var held = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? target = ReadLink(entry);
            if (target is null)
            {
                continue;
            }
            if (InodeOf(target, "net:[") is { } nsInode && inodes.Contains(nsInode))
            {
                held.Add($"fd {Path.GetFileName(entry)} is the namespace net:[{nsInode}]");
            }
            else if (target.StartsWith("socket:[", StringComparison.Ordinal)
                && int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int fd)
                && SocketNamespace(fd) is { } socketNs && inodes.Contains(socketNs))
            {
                held.Add($"fd {fd} ({target}) is a socket in net:[{socketNs}]");
            }
        }
        return held;
    }

    private static ulong? SocketNamespace(int socketFd)
    {
        int nsFd = ioctl(socketFd, SIOCGSKNS, IntPtr.Zero);
        if (nsFd < 0)
        {
            return null; // closed meanwhile by another test's thread
        }
        try
        {
            return ReadLink("/proc/self/fd/" + nsFd.ToString(CultureInfo.InvariantCulture)) is { } target ? InodeOf(target, "net:[") : null;
        }
        finally
        {
            _ = close(nsFd);
        }
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static ulong? InodeOf(string target, string prefix) =>
        target.StartsWith(prefix, StringComparison.Ordinal)
            && ulong.TryParse(target.AsSpan(prefix.Length, target.Length - prefix.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
            ? inode
            : null;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, IntPtr arg);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
