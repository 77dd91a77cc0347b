namespace Isolated.Net.Namespaces;

// A few parked threads, started ahead of need by a root-namespace thread, so creating a namespace does
// not wait for a thread to be born (clone, the runtime's thread setup and the start handshake cost
// about as much as entering the namespace itself). A parked thread has run nothing but its wait; it is
// used once, for one namespace, and never comes back: a thread that has been inside a namespace and
// run user code carries thread-static state no other namespace should inherit. A caller whose thread
// has other credentials than the reserve's (capabilities are per thread: a thread may have dropped
// CAP_SYS_ADMIN) gets a new thread born from it instead, as it would without the reserve.
internal static class ThreadReserve
{
    private static readonly Stack<NamespaceThread> s_parked = new();
    private static int s_target;
    private static bool s_started;
    private static (ulong, ulong, ulong, uint, uint)? s_credentials;

    /// <summary>How many parked threads the reserve keeps; none until <see cref="Start"/>.</summary>
    public static int Target => Volatile.Read(ref s_target);

    /// <summary>Starts the refilling thread; called by the warm-up, from a root-namespace thread.</summary>
    public static void Start(int target)
    {
        lock (s_parked)
        {
            if (s_started)
            {
                return;
            }
            s_started = true;
            s_target = target;
            // The refilling thread is born with the starting thread's credentials, and so is every
            // thread it parks.
            s_credentials = Interop.Interop.ThreadCredentials();
        }
        // Threads inherit the namespace of the thread that starts them: this one is in the root
        // namespace, and so is every thread it parks. Its name does not start with "netns" (a new thread
        // carries its creator's name until renamed, and tools count "netns…" threads as namespace threads).
        new Thread(Refill) { IsBackground = true, Name = "isolated-reserve" }.UnsafeStart();
    }

    /// <summary>A parked thread from the reserve, or a new one when the reserve is empty.</summary>
    public static NamespaceThread Take()
    {
        if (s_credentials is null || Interop.Interop.ThreadCredentials() != s_credentials)
        {
            return NamespaceThread.StartParked();
        }
        lock (s_parked)
        {
            if (s_parked.TryPop(out var parked))
            {
                Monitor.Pulse(s_parked);
                return parked;
            }
        }
        return NamespaceThread.StartParked();
    }

    private static void Refill()
    {
        while (true)
        {
            lock (s_parked)
            {
                while (s_parked.Count >= s_target)
                {
                    Monitor.Wait(s_parked);
                }
            }
            var thread = NamespaceThread.StartParked();
            lock (s_parked)
            {
                s_parked.Push(thread);
            }
        }
    }
}
