using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Isolated.Net.Namespaces;

// New threads inherit the network namespace of the thread that creates them, and the runtime creates
// several of its threads lazily from whatever thread first needs them. Before any thread of ours
// enters a namespace, make those threads exist in the root namespace:
//   - thread-pool workers up to the minimum (the pool starts workers inline from the queuing thread),
//   - the timer thread (Task.Delay, Timer), the sockets epoll engine, the signal-handling thread that
//     Process and PosixSignalRegistration share.
// What remains possible: the pool growing beyond its minimum from a namespace thread (Task.Run or
// ConfigureAwait(false) under load), and lazily created BCL threads we do not know of. The
// NamespaceLeakDetector reports such threads; our own suites run it after every test.
internal static class RuntimeWarmup
{
    private static readonly Lock s_lock = new();
    private static volatile bool s_done;

    public static void EnsureRootThreads()
    {
        if (s_done)
        {
            return;
        }
        lock (s_lock)
        {
            if (s_done)
            {
                return;
            }
            WarmThreadPool();
            WarmTimerAndSockets();
            WarmSignalHandling();
            RootDispatcher.Start();
            ThreadReserve.Start(Math.Max(4, 2 * Environment.ProcessorCount));
            s_done = true;
        }
    }

    private static void WarmThreadPool()
    {
        ThreadPool.GetMinThreads(out int workers, out _);
        int count = Math.Max(workers, Environment.ProcessorCount);
        // Not disposed: a worker may still be inside Wait when the warm-up gives up waiting, and a
        // disposed event would throw there, on a pool thread, and bring the process down.
        var allStarted = new CountdownEvent(count);
        var release = new ManualResetEventSlim();
        for (int i = 0; i < count; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                allStarted.Signal();
                release.Wait(TimeSpan.FromSeconds(2));
            }, null);
        }
        allStarted.Wait(TimeSpan.FromSeconds(2));
        release.Set();
    }

    // Starts the timer thread and the sockets epoll engine without sending anything: a UDP socket bound to
    // the wildcard address (which needs no interface, not even loopback up) with a receive pending long
    // enough to register with the engine. The caller's network may be unusable (a fresh namespace whose
    // loopback is down, under `unshare -rn`) or absent; warm-up is an optimisation and never fails a test.
    private static void WarmTimerAndSockets()
    {
        try
        {
            Task.Delay(1).Wait();
        }
        catch (Exception)
        {
        }
        try
        {
            using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            receiver.Bind(new IPEndPoint(IPAddress.Any, 0));
            using var cancel = new CancellationTokenSource();
            var receive = receiver.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None, cancel.Token).AsTask();
            cancel.Cancel();
            try
            {
                receive.Wait(TimeSpan.FromSeconds(2));
            }
            catch (AggregateException)
            {
            }
        }
        catch (Exception)
        {
        }
    }

    private static void WarmSignalHandling()
    {
        try
        {
            using var registration = PosixSignalRegistration.Create(PosixSignal.SIGCONT, static _ => { });
        }
        catch (Exception)
        {
        }
    }
}
