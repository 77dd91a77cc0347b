using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Isolated.Net.Cli;

// `isolated-net up FILE [--name N]`: builds the topology file, names every host's namespace
// (/run/netns/isolated-net-N-HOST, journaled so the reaper removes them if this process is killed),
// prints the hosts, then serves fault/describe/down on a Unix socket until Ctrl-C, SIGTERM or `down`.
internal static class UpCommand
{
    public static int Run(string file, string? name, TextWriter output, TextWriter error)
    {
        name ??= Path.GetFileNameWithoutExtension(file);
        if (UpSessions.CheckName(name) is { } badName)
        {
            error.WriteLine($"isolated-net up: {badName}; choose one with --name");
            return 2;
        }
        TopologyBuilder builder;
        try
        {
            builder = TopologyBuilder.FromFile(file);
            builder.Validate();
        }
        catch (FileNotFoundException e)
        {
            error.WriteLine($"isolated-net up: {e.Message}");
            return 2;
        }
        catch (TopologyValidationException e)
        {
            // One line that says it, then each problem with its line and path.
            error.WriteLine($"isolated-net up: {file} is not a valid topology ({e.Problems.Count} problem{(e.Problems.Count == 1 ? "" : "s")}):");
            foreach (var problem in e.Problems)
            {
                error.WriteLine("  " + problem);
            }
            return 2;
        }
        if (!NetworkPrivileges.AreSufficient)
        {
            error.WriteLine("isolated-net up: needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create the topology and name its namespaces in /run/netns; run it with sudo, or rootless inside one `isolated-net exec -- sh` whose commands all use it");
            return 1;
        }
        if (UpSessions.IsLive(name))
        {
            error.WriteLine($"isolated-net up: session '{name}' is already up (pid {UpSessions.ProcessIdOf(name)}); choose another --name or `isolated-net down {name}`");
            return 1;
        }
        var taken = Directory.Exists(NetworkNamespace.NamedNamespaceDirectory)
            ? Directory.EnumerateFiles(NetworkNamespace.NamedNamespaceDirectory, UpSessions.NamespacePrefix + name + "-*").ToList()
            : [];
        if (taken.Count > 0)
        {
            error.WriteLine($"isolated-net up: {taken[0]} exists already (a session '{name}' that was killed? `isolated-net reap` releases what dead runs left); nothing was created");
            return 1;
        }
        UpSessions.RemoveStale(name);
        var directory = UpSessions.DirectoryOf(name);
        Directory.CreateDirectory(directory);
        FileStream? lockFile = null;
        Topology? topology = null;
        NamedHosts? named = null;
        Socket? listener = null;
        try
        {
            lockFile = new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(Path.Combine(directory, "pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            topology = builder.Build();
            File.WriteAllText(Path.Combine(directory, "hosts"), topology.HostsFile());
            File.WriteAllText(Path.Combine(directory, "gai.conf"), topology.GaiConf());
            File.WriteAllLines(Path.Combine(directory, "hosts.list"), topology.Hosts.Select(h => h.Name));
            topology.ToFile(Path.Combine(directory, "topology.json"));
            named = topology.NameHosts(UpSessions.NamespacePrefix + name + "-");
            listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(UpSessions.SocketOf(name)));
            listener.Listen(16);

            output.Write(Table(topology));
            output.WriteLine($"isolated-net: session '{name}' is up (pid {Environment.ProcessId}). Enter a host: isolated-net exec {name} HOST -- CMD, isolated-net shell {name} HOST, "
                + $"or ip netns exec {UpSessions.NamespacePrefix}{name}-HOST CMD. Stop: Ctrl-C or isolated-net down {name}.");
            output.Flush();
            Serve(topology, listener, output);
            output.WriteLine($"isolated-net: session '{name}' is down.");
            return 0;
        }
        catch (Exception e) when (e is NetworkOperationException or NotSupportedException or IOException or UnauthorizedAccessException or SocketException or InvalidOperationException)
        {
            error.WriteLine($"isolated-net up: {e.Message}");
            return 1;
        }
        finally
        {
            listener?.Dispose();
            named?.Dispose();
            topology?.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
                if (!Directory.EnumerateFileSystemEntries(UpSessions.Root).Any())
                {
                    Directory.Delete(UpSessions.Root);
                }
            }
            catch (IOException)
            {
                // Another up is starting or stopping there: the directory is its.
            }
            lockFile?.Dispose();
        }
    }

    // Accepts one command per connection until down, Ctrl-C or SIGTERM.
    private static void Serve(Topology topology, Socket listener, TextWriter output)
    {
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
        var commands = new SessionCommands(topology);
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = listener.AcceptAsync(stop.Token).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                break;
            }
            using (client)
            {
                using var stream = new NetworkStream(client, ownsSocket: false);
                var request = ReadRequest(stream);
                var (code, reply) = commands.Execute([.. request]);
                if (request.Count > 0 && request[0] != "describe")
                {
                    output.WriteLine($"isolated-net: {string.Join(' ', request)}: {(code == 0 ? reply.TrimEnd() : "failed: " + reply.TrimEnd())}");
                    output.Flush();
                }
                stream.Write(Encoding.UTF8.GetBytes(code.ToString(CultureInfo.InvariantCulture) + "\n" + reply));
                if (code == 0 && request is ["down"])
                {
                    stop.Cancel();
                }
            }
        }
    }

    private static List<string> ReadRequest(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        var lines = new List<string>();
        while (reader.ReadLine() is { Length: > 0 } line && lines.Count < 256)
        {
            lines.Add(line);
        }
        return lines;
    }

    private static readonly string[] TableHeader = ["HOST", "ROLE", "INTERFACE", "SEGMENT", "IPV4", "IPV6"];

    internal static string Table(Topology topology)
    {
        var rows = new List<string[]> { TableHeader };
        foreach (var host in topology.Hosts)
        {
            if (host.Interfaces.Count == 0)
            {
                rows.Add([host.Name, host.IsRouter ? "router" : "host", "-", "-", "-", "-"]);
            }
            foreach (var i in host.Interfaces)
            {
                rows.Add([host.Name, host.IsRouter ? "router" : "host", i.Name, i.SegmentName, i.IPv4?.ToString() ?? "-", i.IPv6?.ToString() ?? "-"]);
            }
        }
        var widths = Enumerable.Range(0, 6).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }
        return text.ToString();
    }
}
