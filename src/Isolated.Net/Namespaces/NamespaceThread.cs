using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Isolated.Net.Namespaces;

// The dedicated thread of one namespace. It enters the namespace once (unshare or setns), then pumps
// work items until stopped. It is never handed back to a pool: the kernel ties namespace membership to
// the thread, so a pooled thread would carry the namespace into unrelated work.
internal sealed class NamespaceThread
{
    // tid → thread, for the leak detector: these threads are allowed to sit in a foreign namespace.
    private static readonly ConcurrentDictionary<int, NamespaceThread> s_live = new();

    // Threads that finished pumping but may still be listed in /proc/self/task for a moment.
    private static readonly ConcurrentDictionary<int, bool> s_retired = new();

    [ThreadStatic]
    private static NamespaceThread? t_current;

    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly HashSet<IFailable> _pending = [];
    private Thread _thread = null!;
    private readonly NamespaceSynchronizationContext _context;
    private bool _stopping;
    private bool _busy;

    private NamespaceThread()
    {
        _context = new NamespaceSynchronizationContext(this);
    }

    /// <summary>Kernel thread id; valid once started.</summary>
    public int Tid { get; private set; }

    public string Name => _thread.Name!;

    public bool IsCurrent => t_current == this;

    public static NamespaceThread? Current => t_current;

    public static bool IsNamespaceThread(int tid) => s_live.ContainsKey(tid) || s_retired.ContainsKey(tid);

    /// <summary>Forgets retired threads that are no longer listed in /proc/self/task.</summary>
    public static void PruneRetired(IReadOnlySet<int> presentTids)
    {
        foreach (var tid in s_retired.Keys)
        {
            if (!presentTids.Contains(tid))
            {
                s_retired.TryRemove(tid, out _);
            }
        }
    }

    /// <summary>
    /// Starts the thread and runs <paramref name="enter"/> on it first (unshare or setns). If entering
    /// fails, the thread ends and the exception is rethrown here with its original stack.
    /// </summary>
    public static (NamespaceThread Thread, T Entered) Start<T>(string name, Func<T> enter)
    {
        RuntimeWarmup.EnsureRootThreads();
        var thread = new NamespaceThread();
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        // No spinning: unshare takes longer than any useful spin.
        using var started = new ManualResetEventSlim(false, spinCount: 0);
        thread._thread = new Thread(() =>
        {
            // Registered before entering, so a concurrent leak scan never sees it as a stray.
            thread.Tid = Interop.Interop.GetTid();
            s_live[thread.Tid] = thread;
            try
            {
                result = enter();
            }
            catch (Exception ex)
            {
                failure = ExceptionDispatchInfo.Capture(ex);
                s_retired[thread.Tid] = true;
                s_live.TryRemove(thread.Tid, out _);
            }
            started.Set();
            if (failure is null)
            {
                thread.Pump();
            }
        }, maxStackSize: 1024 * 1024)
        {
            IsBackground = true,
            Name = name,
        };
        // UnsafeStart: the caller's ExecutionContext must not leak into the thread's lifetime.
        thread._thread.UnsafeStart();
        started.Wait();
        if (failure is not null)
        {
            thread._thread.Join();
            failure.Throw();
        }
        return (thread, result);
    }

    /// <summary>Runs <paramref name="body"/> on this thread (inline when already on it) and returns its result.</summary>
    public T Invoke<T>(Func<T> body) =>
        IsCurrent ? body() : new NamespaceOperation<T>(this, body, null, CancellationToken.None).Queue().GetAwaiter().GetResult();

    public void Post(SendOrPostCallback callback, object? state)
    {
        lock (_queue)
        {
            if (_stopping)
            {
                throw new ObjectDisposedException(Name, "The network namespace was disposed; its thread no longer runs work.");
            }
            _queue.Enqueue((callback, state));
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_queue);
            }
        }
    }

    // Same as Post, but returns false instead of throwing once stopped (continuations after dispose).
    public bool TryPost(SendOrPostCallback callback, object? state)
    {
        lock (_queue)
        {
            if (_stopping)
            {
                return false;
            }
            _queue.Enqueue((callback, state));
            if (_queue.Count == 1)
            {
                Monitor.Pulse(_queue);
            }
            return true;
        }
    }

    public void Track(IFailable operation)
    {
        lock (_queue)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _pending.Add(operation);
        }
    }

    public void Untrack(IFailable operation)
    {
        lock (_queue)
        {
            _pending.Remove(operation);
        }
    }

    /// <summary>
    /// Stops accepting work. Queued items and async bodies still awaiting fail with
    /// ObjectDisposedException. Joins the thread (briefly if it is busy in a body, so a hung body
    /// cannot hang Dispose; not at all when called from the thread itself).
    /// </summary>
    public void Stop()
    {
        bool join;
        lock (_queue)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            join = !_busy;
            Monitor.Pulse(_queue);
        }
        if (IsCurrent)
        {
            return;
        }
        if (join)
        {
            _thread.Join();
        }
        else
        {
            // Usually the item just finished and the thread is about to loop; a body that really
            // hangs must not hang Dispose, so the wait is bounded. The thread exits when it returns.
            _thread.Join(TimeSpan.FromMilliseconds(250));
        }
    }

    private void Pump()
    {
        t_current = this;
        SynchronizationContext.SetSynchronizationContext(_context);
        try
        {
            while (true)
            {
                (SendOrPostCallback Callback, object? State) item;
                lock (_queue)
                {
                    _busy = false;
                    while (_queue.Count == 0 && !_stopping)
                    {
                        Monitor.Wait(_queue);
                    }
                    if (_stopping)
                    {
                        break;
                    }
                    item = _queue.Dequeue();
                    _busy = true;
                }
                item.Callback(item.State);
                if (SynchronizationContext.Current != _context)
                {
                    SynchronizationContext.SetSynchronizationContext(_context);
                }
            }
        }
        finally
        {
            s_retired[Tid] = true;
            s_live.TryRemove(Tid, out _);
            t_current = null;
            if (s_retired.Count > 256)
            {
                // Long-lived users may never run the leak detector, which prunes; keep the set bounded.
                PruneRetired(Directory.EnumerateDirectories("/proc/self/task")
                    .Select(t => int.TryParse(Path.GetFileName(t), out var id) ? id : 0).ToHashSet());
            }
            FailRemaining();
        }
    }

    private void FailRemaining()
    {
        List<IFailable> pending;
        lock (_queue)
        {
            pending = [.. _pending];
            _pending.Clear();
            foreach (var (callback, state) in _queue)
            {
                if (state is IFailable failable)
                {
                    pending.Add(failable);
                }
            }
            _queue.Clear();
        }
        var error = new ObjectDisposedException(Name, "The network namespace was disposed while this work was still queued or awaiting.");
        foreach (var operation in pending)
        {
            operation.Fail(error);
        }
    }

    internal interface IFailable
    {
        void Fail(Exception error);
    }
}
