using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

// Running code on the namespace thread.
public sealed partial class NetworkNamespace
{
    /// <summary>Runs <paramref name="body"/> on the namespace thread and waits for it.</summary>
    /// <param name="body">The code to run inside.</param>
    /// <param name="cancellationToken">Cancels the call while the body is still queued; a started body runs to its end.</param>
    public void Run(Action body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run<object?>(() =>
        {
            body();
            return null;
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/> on the namespace thread and returns its result.</summary>
    /// <param name="body">The code to run inside.</param>
    /// <param name="cancellationToken">Cancels the call while the body is still queued; a started body runs to its end.</param>
    /// <typeparam name="T">The result type.</typeparam>
    public T Run<T>(Func<T> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var thread = Thread;
        if (thread.IsCurrent)
        {
            return body();
        }
        return new NamespaceOperation<T>(thread, body, null, cancellationToken).Queue().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs an async body on the namespace thread. Its await continuations come back to that thread
    /// (unless it uses ConfigureAwait(false)), so the whole body stays inside the namespace.
    /// </summary>
    /// <param name="body">The code to run inside.</param>
    /// <param name="cancellationToken">Cancels the call while the body is still queued; a started body runs to its end.</param>
    public Task RunAsync(Func<Task> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsync<object?>(async () =>
        {
            await body().ConfigureAwait(true);
            return null;
        }, cancellationToken);
    }

    /// <summary>Runs an async body on the namespace thread and returns its result.</summary>
    /// <param name="body">The code to run inside.</param>
    /// <param name="cancellationToken">Cancels the call while the body is still queued; a started body runs to its end.</param>
    /// <typeparam name="T">The result type.</typeparam>
    public Task<T> RunAsync<T>(Func<Task<T>> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var thread = Thread;
        if (thread.IsCurrent)
        {
            return body();
        }
        return new NamespaceOperation<T>(thread, null, body, cancellationToken).Queue();
    }
}
