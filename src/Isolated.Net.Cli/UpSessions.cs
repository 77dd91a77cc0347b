using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Isolated.Net.Cli;

// Where a running `isolated-net up` keeps what other commands need, in the journal directory
// (/run/isolated-net as root): up/NAME/ with
//   lock        held (flock) by the up process while it lives: the liveness test, immune to pid reuse;
//   control.sock  the Unix socket fault/describe/down talk to;
//   hosts, gai.conf  the topology's resolver files, bind-mounted by exec/shell as the library does for its own processes;
//   topology.json  the file it was started from, as built (names and addresses written out);
//   hosts.list  one host name a line.
// The named namespaces themselves are /run/netns/isolated-net-NAME-HOST, journaled by the library.
internal static partial class UpSessions
{
    public const string NamespacePrefix = "isolated-net-";

    public static string Root => Path.Combine(RunJournals.Directory, "up");

    public static string DirectoryOf(string name) => Path.Combine(Root, name);

    public static string SocketOf(string name) => Path.Combine(DirectoryOf(name), "control.sock");

    public static string NamespaceName(string session, string host) => NamespacePrefix + session + "-" + host;

    public static string NamespacePath(string session, string host) => Path.Combine(NetworkNamespace.NamedNamespaceDirectory, NamespaceName(session, host));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex NamePattern();

    public static string? CheckName(string name) => NamePattern().IsMatch(name)
        ? null
        : $"session name '{name}' is not 1-32 letters, digits, '-', '_' or '.' starting with a letter or digit";

    // A session is live while its up process holds the lock file.
    public static bool IsLive(string name)
    {
        var lockPath = Path.Combine(DirectoryOf(name), "lock");
        if (!File.Exists(lockPath))
        {
            return false;
        }
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    public static IReadOnlyList<string> Names() => Directory.Exists(Root)
        ? [.. Directory.EnumerateDirectories(Root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)]
        : [];

    public static IReadOnlyList<string> HostsOf(string name)
    {
        var path = Path.Combine(DirectoryOf(name), "hosts.list");
        return File.Exists(path) ? File.ReadAllLines(path).Where(l => l.Length > 0).ToList() : [];
    }

    public static int ProcessIdOf(string name)
    {
        var path = Path.Combine(DirectoryOf(name), "pid");
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0;
    }

    // A dead session leaves its directory (the named namespaces are the reaper's: they are journaled).
    public static void RemoveStale(string name)
    {
        if (!IsLive(name) && Directory.Exists(DirectoryOf(name)))
        {
            Directory.Delete(DirectoryOf(name), recursive: true);
        }
    }

    /// <summary>Sends one command to a live session's up process; returns its exit code and writes its reply.</summary>
    public static int Send(string name, IReadOnlyList<string> command, TextWriter output, TextWriter error, string verb)
    {
        if (CheckName(name) is { } problem)
        {
            error.WriteLine($"isolated-net {verb}: {problem}");
            return 2;
        }
        if (!IsLive(name))
        {
            error.WriteLine($"isolated-net {verb}: no session '{name}' is up (`isolated-net list` shows those that are)");
            return 1;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(SocketOf(name)));
            using var stream = new NetworkStream(socket, ownsSocket: false);
            var request = Encoding.UTF8.GetBytes(string.Join('\n', command) + "\n\n");
            stream.Write(request);
            socket.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var status = reader.ReadLine();
            var body = reader.ReadToEnd();
            if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out int code))
            {
                error.WriteLine($"isolated-net {verb}: session '{name}' gave no answer (its up process may be stopping)");
                return 1;
            }
            if (code == 0)
            {
                output.Write(body);
            }
            else
            {
                error.Write($"isolated-net {verb}: {body}");
            }
            return code;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"isolated-net {verb}: cannot reach session '{name}' at {SocketOf(name)}: {e.Message}");
            return 1;
        }
    }
}
