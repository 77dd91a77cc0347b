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
    private IEntry? _entry;
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

    // tid → depth, for threads that step into a namespace they make and come back out (TryCreateHere):
    // while in transit they are allowed to sit in a foreign namespace too.
    private static readonly ConcurrentDictionary<int, int> s_transit = new();

    public static bool IsNamespaceThread(int tid) => s_live.ContainsKey(tid) || s_retired.ContainsKey(tid) || s_transit.ContainsKey(tid);

    /// <summary>
    /// Marks the calling thread as one that may be in a namespace it made until the scope ends (nested
    /// scopes count), so a concurrent leak scan does not take it for a stray.
    /// </summary>
    public static TransitScope Transit()
    {
        int tid = Interop.Interop.GetTid();
        s_transit.AddOrUpdate(tid, 1, static (_, depth) => depth + 1);
        return new TransitScope(tid);
    }

    internal readonly struct TransitScope(int tid) : IDisposable
    {
        public void Dispose()
        {
            if (s_transit.AddOrUpdate(tid, 0, static (_, depth) => depth - 1) <= 0)
            {
                s_transit.TryRemove(new KeyValuePair<int, int>(tid, 0));
            }
        }
    }

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
    public static (NamespaceThread Thread, T Entered) Start<T>(string name, Func<T> enter) => Begin(name, enter).Wait();

    /// <summary>
    /// Hands <paramref name="enter"/> to a thread (a parked one from the reserve, else a new one) and
    /// returns at once, so several namespaces can be entered in parallel; <see cref="PendingStart{T}.Wait"/>
    /// collects the result.
    /// </summary>
    public static PendingStart<T> Begin<T>(string name, Func<T> enter)
    {
        RuntimeWarmup.EnsureRootThreads();
        var thread = ThreadReserve.Take();
        var pending = new PendingStart<T>(thread, name, enter);
        lock (thread._queue)
        {
            thread._entry = pending;
            Monitor.Pulse(thread._queue);
        }
        return pending;
    }

    // Not "netns…": a parked thread is in the namespace it was born in and is nobody's yet.
    private const string ParkedName = "isolated-parked";

    // A thread that waits, in the namespace of the thread that made it, for the namespace it is to enter.
    internal static NamespaceThread StartParked()
    {
        var thread = new NamespaceThread();
        thread._thread = new Thread(thread.Main, maxStackSize: 1024 * 1024)
        {
            IsBackground = true,
            Name = ParkedName,
        };
        // UnsafeStart: the starting thread's ExecutionContext must not leak into the thread's lifetime.
        thread._thread.UnsafeStart();
        return thread;
    }

    private void Main()
    {
        Tid = Interop.Interop.GetTid();
        IEntry entry;
        lock (_queue)
        {
            while (_entry is null)
            {
                Monitor.Wait(_queue);
            }
            entry = _entry;
            _entry = null;
        }
        // Registered before entering, so a concurrent leak scan never sees it as a stray.
        s_live[Tid] = this;
        // Named by itself: for the calling thread that is one prctl, not a write to /proc.
        _thread.Name = entry.Name;
        bool entered = entry.Enter();
        if (!entered)
        {
            s_retired[Tid] = true;
            s_live.TryRemove(Tid, out _);
        }
        entry.Signal();
        if (entered)
        {
            Pump();
        }
    }

    private interface IEntry
    {
        string Name { get; }

        bool Enter();

        void Signal();
    }

    /// <summary>A thread on its way into a namespace; <see cref="Wait"/> returns once it is inside.</summary>
    internal sealed class PendingStart<T>(NamespaceThread thread, string name, Func<T> enter) : IEntry
    {
        string IEntry.Name => name;

        // A monitor, not an event: no spinning (unshare takes longer than any useful spin), nothing to dispose.
        private readonly object _lock = new();
        private bool _started;
        private T _result = default!;
        private ExceptionDispatchInfo? _failure;

        public (NamespaceThread Thread, T Entered) Wait()
        {
            lock (_lock)
            {
                while (!_started)
                {
                    Monitor.Wait(_lock);
                }
            }
            if (_failure is not null)
            {
                thread._thread.Join();
                _failure.Throw();
            }
            return (thread, _result);
        }

        bool IEntry.Enter()
        {
            try
            {
                _result = enter();
                return true;
            }
            catch (Exception ex)
            {
                _failure = ExceptionDispatchInfo.Capture(ex);
                return false;
            }
        }

        void IEntry.Signal()
        {
            lock (_lock)
            {
                _started = true;
                Monitor.Pulse(_lock);
            }
        }
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
    /// ObjectDisposedException, before this returns when the thread is idle (pending work such as an
    /// impaired link's forwarder stops and closes its fds here). An idle thread is not joined: woken,
    /// it exits on its own, and the kernel frees the namespace once it and the namespace fd are gone,
    /// so nothing here waits for the kernel. A thread busy in a body is joined briefly, so Dispose
    /// usually returns after the body, yet a hung body cannot hang Dispose.
    /// </summary>
    public void Stop()
    {
        bool busy;
        lock (_queue)
        {
            if (_stopping)
            {
                return;
            }
            _stopping = true;
            busy = _busy;
            Monitor.Pulse(_queue);
        }
        if (!busy)
        {
            // Idle and now stopping, it runs nothing more: what it would fail on its way out is failed here.
            FailRemaining();
        }
        else if (!IsCurrent)
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
