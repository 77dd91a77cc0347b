namespace Isolated.Net;

/// <summary>How <see cref="NetHost.StartProcess(HostProcessOptions)"/> starts a program inside a host.</summary>
public sealed class HostProcessOptions
{
    /// <summary>Creates options for <paramref name="fileName"/>.</summary>
    /// <param name="fileName">An executable name looked up on PATH, or a path.</param>
    public HostProcessOptions(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        FileName = fileName;
    }

    /// <summary>The executable: a name looked up on PATH, or a path.</summary>
    public string FileName { get; }

    /// <summary>The arguments, passed as they are (no shell).</summary>
    public IList<string> Arguments { get; } = new List<string>();

    /// <summary>Environment variables to set (a null value removes one) on top of this process's environment.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>The working directory; default: this process's current directory.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Called for every line the process writes to stdout or stderr, on a thread-pool thread.</summary>
    public Action<ProcessOutputLine>? OnOutput { get; set; }

    /// <summary>How long <see cref="HostProcess.StopAsync(CancellationToken)"/> and dispose wait after SIGTERM before SIGKILL; default 5 s.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>One line of a process's output.</summary>
/// <param name="IsError">True for stderr, false for stdout.</param>
/// <param name="Text">The line, without its newline.</param>
public readonly record struct ProcessOutputLine(bool IsError, string Text)
{
    /// <inheritdoc />
    public override string ToString() => (IsError ? "err: " : "out: ") + Text;
}

/// <summary>The outcome of <see cref="NetHost.ExecAsync(string, string[])"/>.</summary>
/// <param name="ExitCode">The exit code (128+N when killed by signal N).</param>
/// <param name="StandardOutput">Everything written to stdout.</param>
/// <param name="StandardError">Everything written to stderr.</param>
public sealed record ExecResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// A process started inside a host ended before it was ready (while waiting for a port or an output
/// line). <see cref="LastOutput"/> holds its last lines.
/// </summary>
public sealed class HostProcessExitedException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was awaited and how the process ended.</param>
    /// <param name="exitCode">The exit code.</param>
    /// <param name="lastOutput">The process's last output lines.</param>
    public HostProcessExitedException(string message, int exitCode, IReadOnlyList<ProcessOutputLine> lastOutput)
        : base(message)
    {
        ExitCode = exitCode;
        LastOutput = lastOutput;
    }

    /// <summary>The process's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>The process's last output lines.</summary>
    public IReadOnlyList<ProcessOutputLine> LastOutput { get; }
}
