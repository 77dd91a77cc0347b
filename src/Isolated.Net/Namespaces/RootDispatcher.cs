namespace Isolated.Net.Namespaces;

// A thread that stays in the root namespace and completes the tasks async bodies return. Completing a
// task runs or queues its continuations from the completing thread: an xunit or NUnit context, or the
// thread pool, may start a new thread right there. Were that the namespace thread, the new thread would
// be born inside the namespace; from here it is born in the root namespace.
internal static class RootDispatcher
{
    private static readonly Queue<(Action<object?> Action, object? State)> s_queue = new();
    private static Thread? s_thread;

    /// <summary>Starts the dispatcher; called by the warm-up, from a root-namespace thread.</summary>
    public static void Start()
    {
        lock (s_queue)
        {
            if (s_thread is not null)
            {
                return;
            }
            s_thread = new Thread(Pump) { IsBackground = true, Name = "netns-completion" };
            s_thread.UnsafeStart();
        }
    }

    public static void Post(Action<object?> action, object? state)
    {
        lock (s_queue)
        {
            s_queue.Enqueue((action, state));
            if (s_queue.Count == 1)
            {
                Monitor.Pulse(s_queue);
            }
        }
    }

    private static void Pump()
    {
        while (true)
        {
            (Action<object?> Action, object? State) item;
            lock (s_queue)
            {
                while (s_queue.Count == 0)
                {
                    Monitor.Wait(s_queue);
                }
                item = s_queue.Dequeue();
            }
            try
            {
                item.Action(item.State);
            }
            catch (Exception ex)
            {
                // Completing a TaskCompletionSource does not throw; anything else is a bug worth seeing.
                Environment.FailFast("Isolated.Net root dispatcher work item threw", ex);
            }
        }
    }
}
