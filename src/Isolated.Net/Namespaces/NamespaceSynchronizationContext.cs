namespace Isolated.Net.Namespaces;

// Single-threaded context of a namespace thread: every await continuation inside a body is posted
// back to the same thread, so it stays in the namespace.
internal sealed class NamespaceSynchronizationContext : SynchronizationContext
{
    private readonly NamespaceThread _thread;

    public NamespaceSynchronizationContext(NamespaceThread thread)
    {
        _thread = thread;
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        // A continuation arriving after dispose has nowhere safe to run: running it on the caller's
        // thread would silently leave the namespace. The awaiting operation is failed by the thread.
        _thread.TryPost(d, state);
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        if (_thread.IsCurrent)
        {
            d(state);
            return;
        }
        using var done = new ManualResetEventSlim();
        Exception? failure = null;
        _thread.Post(_ =>
        {
            try
            {
                d(state);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                done.Set();
            }
        }, null);
        done.Wait();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    public override SynchronizationContext CreateCopy() => this;
}
