namespace Isolated.Net.Namespaces;

// One body queued to a namespace thread. It flows the caller's ExecutionContext (AsyncLocal values)
// in, can be cancelled until it starts, and completes a task with the body's result or exception
// (original stack preserved). Async bodies complete when their task does; their continuations run on
// the namespace thread through its SynchronizationContext.
internal sealed class NamespaceOperation<T> : NamespaceThread.IFailable
{
    private const int Queued = 0;
    private const int Started = 1;
    private const int Cancelled = 2;

    private static readonly ContextCallback s_invoke = static state => ((NamespaceOperation<T>)state!).Invoke();

    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Func<T>? _syncBody;
    private readonly Func<Task<T>>? _asyncBody;
    private readonly ExecutionContext? _executionContext = ExecutionContext.Capture();
    private readonly NamespaceThread _thread;
    private readonly CancellationToken _cancellationToken;
    private CancellationTokenRegistration _registration;
    private int _state;

    public NamespaceOperation(NamespaceThread thread, Func<T>? syncBody, Func<Task<T>>? asyncBody, CancellationToken cancellationToken)
    {
        _thread = thread;
        _syncBody = syncBody;
        _asyncBody = asyncBody;
        _cancellationToken = cancellationToken;
    }

    public Task<T> Task => _completion.Task;

    public static readonly SendOrPostCallback Execute = static state => ((NamespaceOperation<T>)state!).Start();

    public Task<T> Queue()
    {
        if (_cancellationToken.CanBeCanceled)
        {
            _registration = _cancellationToken.UnsafeRegister(static s =>
            {
                var op = (NamespaceOperation<T>)s!;
                if (Interlocked.CompareExchange(ref op._state, Cancelled, Queued) == Queued)
                {
                    op._completion.TrySetCanceled(op._cancellationToken);
                }
            }, this);
        }
        _thread.Post(Execute, this);
        return _completion.Task;
    }

    public void Fail(Exception error)
    {
        _registration.Dispose();
        RootDispatcher.Post(static s =>
        {
            var (op, e) = ((NamespaceOperation<T>, Exception))s!;
            op._completion.TrySetException(e);
        }, (this, error));
    }

    private void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Started, Queued) != Queued)
        {
            return;
        }
        _registration.Dispose();
        if (_executionContext is null)
        {
            Invoke();
        }
        else
        {
            ExecutionContext.Run(_executionContext, s_invoke, this);
        }
    }

    private void Invoke()
    {
        if (_syncBody is not null)
        {
            // The caller blocks in Wait: completing here wakes it without running continuation code.
            try
            {
                _completion.TrySetResult(_syncBody());
            }
            catch (Exception ex)
            {
                _completion.TrySetException(ex);
            }
            return;
        }

        Task<T> task;
        try
        {
            task = _asyncBody!();
        }
        catch (Exception ex)
        {
            CompleteFromRoot(System.Threading.Tasks.Task.FromException<T>(ex));
            return;
        }
        if (task.IsCompleted)
        {
            CompleteFromRoot(task);
            return;
        }
        _thread.Track(this);
        task.ContinueWith(static (t, s) =>
        {
            var op = (NamespaceOperation<T>)s!;
            op._thread.Untrack(op);
            op.CompleteFromRoot(t);
        }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void CompleteFromRoot(Task<T> task) =>
        RootDispatcher.Post(static s =>
        {
            var (op, t) = ((NamespaceOperation<T>, Task<T>))s!;
            op.Complete(t);
        }, (this, task));

    private void Complete(Task<T> task)
    {
        if (task.IsCanceled)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException ex)
            {
                _completion.TrySetCanceled(ex.CancellationToken);
                return;
            }
            _completion.TrySetCanceled();
        }
        else if (task.IsFaulted)
        {
            _completion.TrySetException(task.Exception!.InnerExceptions);
        }
        else
        {
            _completion.TrySetResult(task.Result);
        }
    }
}
