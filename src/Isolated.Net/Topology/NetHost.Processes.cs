using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Isolated.Net.Processes;
using Isolated.Net.Reaping;
using Tmds.Linux;

namespace Isolated.Net;

// Real programs inside a host: started from a launcher thread that sits in the host's namespace, so the
// child (and everything it forks) lives there and resolves the topology's host names.
public sealed partial class NetHost
{
    private readonly Lock _processLock = new();
    private readonly List<HostProcess> _processes = [];
    private ProcessLauncher? _launcher;
    private int _namespaceJournalId;
    private bool _stopped;

    /// <summary>
    /// Starts <paramref name="fileName"/> inside this host. The child lives in the host's network
    /// namespace, resolves every host of the topology by name (a private /etc/hosts), and has the host's
    /// name as its hostname. Disposing the returned handle or the topology stops it.
    /// </summary>
    /// <param name="fileName">An executable on PATH, or a path.</param>
    /// <param name="arguments">Arguments, passed as they are (no shell).</param>
    /// <exception cref="FileNotFoundException">The executable does not exist or is not executable.</exception>
    public HostProcess StartProcess(string fileName, params string[] arguments)
    {
        var options = new HostProcessOptions(fileName);
        foreach (var argument in arguments)
        {
            options.Arguments.Add(argument);
        }
        return StartProcess(options);
    }

    /// <summary>Starts a process inside this host as <paramref name="options"/> describe.</summary>
    /// <param name="options">Executable, arguments, environment, output callback, stop grace period.</param>
    /// <exception cref="FileNotFoundException">The executable does not exist or is not executable.</exception>
    public HostProcess StartProcess(HostProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var startInfo = new ProcessStartInfo(ResolveExecutable(options.FileName))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in options.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in options.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        lock (_processLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_launcher is null)
            {
                // Journaled before the first fork: if we die before recording a pid, the reaper
                // still kills whatever lives in this namespace.
                _namespaceJournalId = RunJournal.RecordNamespace(Namespace, Name);
                _launcher = ProcessLauncher.Create(Namespace, Name, Topology.HostsFile(), Topology.GaiConf());
            }
            var process = _launcher.Start(startInfo);
            process.StandardInput.Close();
            int journalId = RunJournal.RecordProcess(process.Id, Namespace);
            var handle = new HostProcess(this, process, options, journalId, Forget);
            _processes.Add(handle);
            return handle;
        }
    }

    /// <summary>Runs a program inside this host to its end and returns its exit code and output.</summary>
    /// <param name="fileName">An executable on PATH, or a path.</param>
    /// <param name="arguments">Arguments, passed as they are.</param>
    public Task<ExecResult> ExecAsync(string fileName, params string[] arguments)
    {
        var options = new HostProcessOptions(fileName);
        foreach (var argument in arguments)
        {
            options.Arguments.Add(argument);
        }
        return ExecAsync(options, CancellationToken.None);
    }

    /// <summary>Runs a program inside this host to its end; cancelling kills it.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="cancellationToken">Kills the program and throws OperationCanceledException.</param>
    public async Task<ExecResult> ExecAsync(HostProcessOptions options, CancellationToken cancellationToken = default)
    {
        await using var process = StartProcess(options);
        int exitCode;
        try
        {
            exitCode = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return new ExecResult(exitCode, Join(process, error: false), Join(process, error: true));

        static string Join(HostProcess process, bool error)
        {
            var text = new StringBuilder();
            foreach (var line in process.Output.Where(l => l.IsError == error))
            {
                text.Append(line.Text).Append('\n');
            }
            return text.ToString();
        }
    }

    /// <summary>
    /// Resolves a name the way processes in this host do: the topology's host names first (both
    /// families, in the order of <see cref="Topology.AddressPreference"/>; <c>NAME.ipv4</c> and
    /// <c>NAME.ipv6</c> give one family), then an IP literal, then the machine's resolver.
    /// </summary>
    /// <param name="name">A host name of this topology, an IP address, or another name.</param>
    /// <param name="cancellationToken">Cancels a resolver query.</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or empty.</exception>
    /// <exception cref="SocketException">The machine's resolver does not know the name.</exception>
    public async Task<IPAddress[]> ResolveAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Topology.TryGetAddresses(name, out var addresses))
        {
            return addresses;
        }
        if (IPAddress.TryParse(name, out var literal))
        {
            return [literal];
        }
        return await Dns.GetHostAddressesAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The processes started in this host that have not been disposed.</summary>
    public IReadOnlyList<HostProcess> Processes
    {
        get
        {
            lock (_processLock)
            {
                return [.. _processes];
            }
        }
    }

    // Topology dispose: SIGTERM everything, give it a moment together, SIGKILL the rest, free the launcher.
    internal void StopProcesses(TimeSpan grace)
    {
        List<HostProcess> running;
        lock (_processLock)
        {
            _stopped = true;
            running = [.. _processes];
        }
        Task.WhenAll(running.Select(p => p.StopAsync(grace))).GetAwaiter().GetResult();
        foreach (var process in running)
        {
            process.Dispose();
        }
        // Anything still inside (a daemon that left its parent's tree) is ours: the namespace is.
        if (_launcher is not null)
        {
            for (int round = 0; round < 50; round++)
            {
                var inside = Reaper.ProcessesIn(Namespace.Inode);
                if (inside.Count == 0)
                {
                    break;
                }
                foreach (var pid in inside)
                {
                    _ = LibC.kill(pid, LibC.SIGKILL);
                }
                Thread.Sleep(10);
            }
        }
        lock (_processLock)
        {
            _launcher?.Dispose();
            _launcher = null;
            RunJournal.Release(_namespaceJournalId);
            _namespaceJournalId = 0;
        }
    }

    private void Forget(HostProcess process)
    {
        lock (_processLock)
        {
            _processes.Remove(process);
        }
    }

    private static unsafe string ResolveExecutable(string fileName)
    {
        const int X_OK = 1;
        IEnumerable<string> candidates = fileName.Contains('/', StringComparison.Ordinal)
            ? [fileName]
            : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, fileName));
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                fixed (byte* path = Interop.Interop.ToCString(candidate))
                {
                    if (LibC.access(path, X_OK) == 0)
                    {
                        return candidate;
                    }
                }
            }
        }
        throw new FileNotFoundException(fileName.Contains('/', StringComparison.Ordinal)
            ? $"Executable '{fileName}' does not exist or is not executable."
            : $"Executable '{fileName}' was not found on PATH ({Environment.GetEnvironmentVariable("PATH")}).", fileName);
    }
}
