using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Isolated.Net.Processes;
using Tmds.Linux;

namespace Isolated.Net;

/// <summary>
/// A program running inside a <see cref="NetHost"/>: its output line by line, readiness waits, exit code,
/// and a stop that escalates from SIGTERM to SIGKILL. Disposing it (or the topology) stops it.
/// </summary>
public sealed class HostProcess : IAsyncDisposable, IDisposable
{
    private const int MaxKeptLines = 10_000;

    private readonly Process _process;
    private readonly HostProcessOptions _options;
    private readonly List<ProcessOutputLine> _output = [];
    private readonly Task<int> _exit;
    private readonly Action<HostProcess> _forget;
    private readonly int _journalId;
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    internal HostProcess(NetHost host, Process process, HostProcessOptions options, int journalId, Action<HostProcess> forget)
    {
        _journalId = journalId;
        Host = host;
        _process = process;
        _options = options;
        _forget = forget;
        Id = process.Id;
        StartTime = DateTime.Now;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, isError: false, _stdoutClosed);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, isError: true, _stderrClosed);
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _exit = WaitAsync();
    }

    /// <summary>The host the process runs in.</summary>
    public NetHost Host { get; }

    /// <summary>The process id (in the machine's pid namespace).</summary>
    public int Id { get; }

    /// <summary>When the process was started (local time).</summary>
    public DateTime StartTime { get; }

    /// <summary>The executable as given.</summary>
    public string FileName => _options.FileName;

    /// <summary>True once the process has exited and its output has been read to the end.</summary>
    public bool HasExited => _exit.IsCompleted;

    /// <summary>The exit code once exited (128+N when killed by signal N), else null.</summary>
    public int? ExitCode => _exit.IsCompletedSuccessfully ? _exit.Result : null;

    /// <summary>Every output line so far (stdout and stderr in arrival order; the last 10,000 are kept).</summary>
    public IReadOnlyList<ProcessOutputLine> Output
    {
        get
        {
            lock (_output)
            {
                return [.. _output];
            }
        }
    }

    /// <summary>The stdout lines so far, joined with newlines.</summary>
    public string StandardOutput => string.Join('\n', Output.Where(l => !l.IsError).Select(l => l.Text));

    /// <summary>The stderr lines so far, joined with newlines.</summary>
    public string StandardError => string.Join('\n', Output.Where(l => l.IsError).Select(l => l.Text));

    /// <summary>The last <paramref name="count"/> output lines.</summary>
    /// <param name="count">How many lines.</param>
    public IReadOnlyList<ProcessOutputLine> LastOutput(int count = 20)
    {
        lock (_output)
        {
            return [.. _output.Skip(Math.Max(0, _output.Count - count))];
        }
    }

    /// <summary>Waits for the process to exit (and its output to be read) and returns the exit code.</summary>
    /// <param name="cancellationToken">Stops waiting (the process keeps running).</param>
    public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => _exit.WaitAsync(cancellationToken);

    /// <summary>
    /// Waits until something accepts TCP connections on <paramref name="port"/> inside the host,
    /// probing from inside its namespace (loopback and the host's own addresses).
    /// </summary>
    /// <param name="port">The TCP port.</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="HostProcessExitedException">The process exited first; the message holds its last output.</exception>
    /// <exception cref="TimeoutException">Nothing listened in time; the message holds the last output.</exception>
    public async Task WaitForTcpPortAsync(int port, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var candidates = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        candidates.AddRange(Host.Interfaces.SelectMany(i => new[] { i.IPv4?.Address, i.IPv6?.Address }).OfType<IPAddress>());
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ThrowIfExited($"listening on TCP port {port}");
            foreach (var address in candidates)
            {
                using var probe = Host.CreateSocket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    attempt.CancelAfter(TimeSpan.FromMilliseconds(250));
                    await probe.ConnectAsync(new IPEndPoint(address, port), attempt.Token).ConfigureAwait(false);
                    return;
                }
                catch (SocketException)
                {
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                ThrowIfExited($"listening on TCP port {port}");
                throw new TimeoutException($"'{FileName}' (pid {Id}) in host '{Host.Name}' did not listen on TCP port {port} within {timeout.TotalSeconds:0.###} s.{FormatLastOutput()}");
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until an output line contains <paramref name="text"/>.</summary>
    /// <param name="text">The text to look for (ordinal).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="HostProcessExitedException">The process exited first.</exception>
    /// <exception cref="TimeoutException">No such line in time.</exception>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (Output.Any(l => l.Text.Contains(text, StringComparison.Ordinal)))
            {
                return;
            }
            ThrowIfExited($"printing \"{text}\"");
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"'{FileName}' (pid {Id}) in host '{Host.Name}' did not print \"{text}\" within {timeout.TotalSeconds:0.###} s.{FormatLastOutput()}");
            }
            await Task.WhenAny(_exit, Task.Delay(20, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Stops the process: SIGTERM, then SIGKILL (with its descendants) after the grace period of its options.</summary>
    /// <param name="cancellationToken">Skips the rest of the grace period and kills at once.</param>
    public Task StopAsync(CancellationToken cancellationToken = default) => StopAsync(_options.StopGracePeriod, cancellationToken);

    /// <summary>Stops the process: SIGTERM, then SIGKILL (with its descendants) after <paramref name="gracePeriod"/>.</summary>
    /// <param name="gracePeriod">How long to wait after SIGTERM.</param>
    /// <param name="cancellationToken">Skips the rest of the grace period and kills at once.</param>
    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        if (HasExited)
        {
            return;
        }
        // The whole tree, collected before anyone dies: a shell's background children are re-parented
        // away from it once it exits and could no longer be found.
        foreach (var pid in ProcessTree.Of(Id))
        {
            _ = LibC.kill(pid, LibC.SIGTERM);
        }
        try
        {
            await _exit.WaitAsync(gracePeriod, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Kill();
            await _exit.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Kills the process and its descendants with SIGKILL at once.</summary>
    public void Kill()
    {
        foreach (var pid in ProcessTree.Of(Id))
        {
            _ = LibC.kill(pid, LibC.SIGKILL);
        }
    }

    /// <summary>Stops the process (SIGTERM, grace period, SIGKILL) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await StopAsync(_options.StopGracePeriod).ConfigureAwait(false);
        _process.Dispose();
        _forget(this);
    }

    /// <summary>Stops the process (SIGTERM, grace period, SIGKILL), blocking, and releases it.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"'{FileName}' (pid {Id}) in host '{Host.Name}'");

    private void ThrowIfExited(string awaited)
    {
        if (_exit.IsCompletedSuccessfully)
        {
            throw new HostProcessExitedException(
                $"'{FileName}' (pid {Id}) in host '{Host.Name}' exited with code {_exit.Result} before {awaited}.{FormatLastOutput()}",
                _exit.Result,
                LastOutput());
        }
    }

    private string FormatLastOutput()
    {
        var last = LastOutput();
        return last.Count == 0 ? " It printed nothing." : " Its last output:" + string.Concat(last.Select(l => "\n  " + l));
    }

    private void OnLine(string? text, bool isError, TaskCompletionSource closed)
    {
        if (text is null)
        {
            closed.TrySetResult();
            return;
        }
        var line = new ProcessOutputLine(isError, text);
        lock (_output)
        {
            if (_output.Count == MaxKeptLines)
            {
                _output.RemoveAt(0);
            }
            _output.Add(line);
        }
        _options.OnOutput?.Invoke(line);
    }

    // Exit is the process's exit, not the end of its output: a descendant that outlives it may keep
    // the pipes open forever. Output still in flight gets a moment to arrive.
    private async Task<int> WaitAsync()
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process.Exited += (_, _) => exited.TrySetResult();
        if (_process.HasExited)
        {
            exited.TrySetResult();
        }
        await exited.Task.ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        Reaping.RunJournal.Release(_journalId);
        return _process.ExitCode;
    }
}
