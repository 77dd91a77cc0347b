using System.Diagnostics;
using System.Runtime.CompilerServices;
using Isolated.Net.Interop;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

// One direction of an impaired link: a thread that reads frames from one TAP fd, asks the model what
// to do with each, and writes them to the other TAP fd when their time comes. It sleeps in epoll while
// nothing is due (the TAP fd, the stop eventfd, and a nanosecond timeout for the next deadline, with
// the thread's timer slack at 1 ns), and spins only through the last 50 µs before a deadline.
internal sealed unsafe partial class ImpairmentPump
{
    private const int ReadBurst = 64;             // frames read before the clock-driven work is looked at again
    private const int SlotSize = 2048;            // a pooled buffer holds a frame of a 1500-byte MTU with room to spare
    private const int ScratchSize = 65536 + 256;  // the largest frame a TAP hands out (a 64 KiB super-frame or MTU, plus headers)
    private const long SpinNanoseconds = 120_000; // the last stretch before a deadline is spun, not slept: a wake-up from an idle CPU takes tens of µs
    private const ulong SourceTag = 0;
    private const ulong StopTag = 1;
    private const ulong KickTag = 2;
    private const int SparseLine = 4;                 // a line this short is request/response traffic, not a bulk stream
    private const long AnticipationNanoseconds = 250_000; // how long after the partner delivers this pump polls for the answer

    private readonly TapForwarder _forwarder;
    private readonly ImpairedDirection _direction;
    private readonly TapHandle _source;
    private readonly TapHandle _destination;
    private readonly EventFdHandle _stopEvent;
    private readonly ImpairmentModel _model;
    private readonly FrameLine _line = new();   // frames waiting for their deadline, in deadline order
    private readonly FrameLine _held = new();   // frames held back for reordering, waiting for one to overtake them
    private readonly Stack<byte[]> _pool = new();
    private readonly byte[] _scratch = GC.AllocateUninitializedArray<byte>(ScratchSize, pinned: true);
    private readonly long _spinTicks = SpinNanoseconds * Stopwatch.Frequency / 1_000_000_000;
    private readonly long _anticipationTicks = AnticipationNanoseconds * Stopwatch.Frequency / 1_000_000_000;
    private readonly EventFdHandle _kick;
    private long _sparseDeadline = long.MaxValue;      // published: the head deadline of a short line, else MaxValue
    private long _publishedSparse = long.MaxValue;     // this thread's copy of the above
    private long _lastSparseDelivery = long.MinValue;  // published: when a frame of a short line was last delivered
    private long _sleepingUntil = long.MaxValue;       // published: when this thread's epoll wait ends
    private long _lastRead = long.MinValue;            // when this pump last read a frame
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Thread? _thread;

    public ImpairmentPump(TapForwarder forwarder, ImpairedDirection direction, TapHandle source, TapHandle destination, EventFdHandle stopEvent, ImpairmentModel model)
    {
        _forwarder = forwarder;
        _direction = direction;
        _source = source;
        _destination = destination;
        _stopEvent = stopEvent;
        _model = model;
        _kick = CreateEventFd($"forwarding {direction} (eventfd)");
    }

    // The pump of the other direction: this one polls its source around the times the other delivers a
    // frame of sparse traffic, since the answer to it comes back this way.
    public ImpairmentPump? Partner { get; set; }

    // On stop: the kick eventfd closes once neither this thread (referenced from Start until it ends)
    // nor a partner's write in progress holds it.
    public void DisposeKick() => _kick.Dispose();

    public int ThreadId { get; private set; }

    public bool IsRealTime { get; private set; }

    public bool IsCurrentThread => _thread == Thread.CurrentThread;

    // Call from a root-namespace thread: the new thread is born in the caller's namespace. The fds are
    // referenced here, before the thread exists, so a concurrent stop cannot close them under it.
    public void Start(string name)
    {
        bool source = false, destination = false, stop = false, kick = false;
        try
        {
            _source.DangerousAddRef(ref source);
            _destination.DangerousAddRef(ref destination);
            _stopEvent.DangerousAddRef(ref stop);
            _kick.DangerousAddRef(ref kick);
            _thread = new Thread(Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = name };
            _thread.UnsafeStart();
        }
        catch
        {
            Release(source, destination, stop, kick);
            throw;
        }
    }

    public void Join(TimeSpan timeout) => _thread?.Join(timeout);

    // Returns once the thread has its id and priority (or has failed).
    public void WaitUntilReady() => _ready.Task.Wait();

    private void Run()
    {
        ThreadId = GetTid();
        SetPreciseTimerSlack();
        if (_forwarder.RealTimePriority)
        {
            // Under CPU contention a normal thread wakes milliseconds late; a SCHED_FIFO one within
            // microseconds. Without CAP_SYS_NICE the call fails and the thread keeps normal priority.
            IsRealTime = SetThreadRealtime(1);
        }
        _ready.TrySetResult();
        try
        {
            using var epoll = CreateEpoll($"forwarding {_direction} (epoll_create1)");
            EpollAdd(epoll.Fd, _source.Fd, LibC.EPOLLIN, SourceTag, $"forwarding {_direction} (epoll_ctl TAP)");
            EpollAdd(epoll.Fd, _stopEvent.Fd, LibC.EPOLLIN, StopTag, $"forwarding {_direction} (epoll_ctl eventfd)");
            EpollAdd(epoll.Fd, _kick.Fd, LibC.EPOLLIN, KickTag, $"forwarding {_direction} (epoll_ctl kick eventfd)");
            Loop(epoll.Fd);
        }
        catch (Exception ex)
        {
            _forwarder.Abort(ex);
        }
        finally
        {
            Release(true, true, true, true);
        }
    }

    private void Release(bool source, bool destination, bool stop, bool kick)
    {
        if (kick)
        {
            _kick.DangerousRelease();
        }
        if (source)
        {
            _source.DangerousRelease();
        }
        if (destination)
        {
            _destination.DangerousRelease();
        }
        if (stop)
        {
            _stopEvent.DangerousRelease();
        }
    }

    // Fully optimized from the first frame: the loop runs for the link's life, and tiering would
    // otherwise swap its code (on-stack replacement) while frames are due.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(int epoll)
    {
        epoll_event* events = stackalloc epoll_event[3];
        int source = _source.Fd;
        bool sourceError = false;
        while (!_forwarder.IsStopping)
        {
            long now = Stopwatch.GetTimestamp();
            if (!ReleaseDue(now))
            {
                return;
            }
            int read = 0;
            while (read < ReadBurst)
            {
                int length = ReadFrame(source);
                if (length == 0)
                {
                    break;
                }
                if (length < 0)
                {
                    _forwarder.Stop(); // the device is gone: its interface was deleted or its namespace torn down
                    return;
                }
                sourceError = false;
                now = Stopwatch.GetTimestamp();
                _lastRead = now;
                if (!Admit(length, now) || !ReleaseDue(now))
                {
                    return;
                }
                read++;
            }
            if (read == ReadBurst)
            {
                continue; // more may be waiting: read on before sleeping
            }
            if (sourceError)
            {
                // epoll said the TAP fd has an error, and it has nothing to read: the device is gone.
                _forwarder.Stop();
                return;
            }

            now = Stopwatch.GetTimestamp();
            PublishLine();
            // Before reading what the partner published: the partner kicks unless it sees this.
            Volatile.Write(ref _sleepingUntil, long.MaxValue);
            Interlocked.MemoryBarrier();
            long wake = NextWake();
            long partnerWake = PartnerWake(now);
            long timeout = -1;
            if (wake != long.MaxValue && wake - now <= _spinTicks)
            {
                // This pump's own deadline: spin it out on the clock alone (a read per turn would make
                // the frame late by a system call or two; one arriving meanwhile waits at most this long).
                while (Stopwatch.GetTimestamp() < wake)
                {
                    Thread.SpinWait(1);
                }
                continue;
            }
            if (partnerWake - now <= _spinTicks || Anticipating(now))
            {
                // The partner's: poll the source, yielding the CPU to any thread of the same priority
                // (the partner itself, on a busy machine).
                Thread.Yield();
                continue;
            }
            wake = Math.Min(wake, partnerWake);
            if (wake != long.MaxValue)
            {
                timeout = (long)((wake - now - _spinTicks) * (1_000_000_000.0 / Stopwatch.Frequency));
                Volatile.Write(ref _sleepingUntil, wake - _spinTicks);
            }
            int ready = EpollWait(epoll, events, 3, timeout);
            if (ready < 0)
            {
                throw ErrorFromLastErrno($"forwarding {_direction} (epoll_wait)");
            }
            for (int i = 0; i < ready; i++)
            {
                if (events[i].data.u64 == SourceTag && (events[i].events & (LibC.EPOLLERR | LibC.EPOLLHUP)) != 0)
                {
                    sourceError = true;
                }
                else if (events[i].data.u64 == KickTag)
                {
                    DrainKick();
                }
            }
        }
    }

    // The frame's length; 0 when nothing is waiting; -1 when the device is gone.
    private int ReadFrame(int fd)
    {
        while (true)
        {
            long length;
            fixed (byte* buffer = _scratch)
            {
                length = LibC.read(fd, buffer, ScratchSize);
            }
            if (length > 0)
            {
                return (int)length;
            }
            int errno = LastErrno;
            if (length == 0 || errno == EAGAIN)
            {
                return 0;
            }
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == EBADFD)
            {
                return -1;
            }
            throw Error($"forwarding {_direction} (read from the TAP device)", errno);
        }
    }

    // A thread woken from sleep by a frame adds its wake-up time (tens of µs on an idle machine) to the
    // frame's delay unseen: the frame's clock starts when it is read. For request/response traffic the
    // moment an answer comes back is predictable: just after the partner delivers the request. So the
    // pump wakes when the partner's next frame of a short line is due and polls its source until a
    // little after the partner delivered it. Bulk streams (long lines) get no such polling.
    private bool Anticipating(long now)
    {
        var partner = Partner;
        if (partner is null)
        {
            return false;
        }
        long delivered = Volatile.Read(ref partner._lastSparseDelivery);
        return now < delivered + _anticipationTicks && _lastRead < delivered; // until the answer is in

    }

    // Tells the partner when this pump's next frame of a short line is due, waking it when it sleeps past it.
    private void PublishLine()
    {
        long sparse = _line.Count is > 0 and <= SparseLine ? _line.Peek().Deadline : long.MaxValue;
        if (sparse == _publishedSparse)
        {
            return;
        }
        _publishedSparse = sparse;
        Volatile.Write(ref _sparseDeadline, sparse);
        Interlocked.MemoryBarrier();
        var partner = Partner;
        if (partner is not null && sparse != long.MaxValue && Volatile.Read(ref partner._sleepingUntil) > sparse - _spinTicks)
        {
            partner.Kick();
        }
    }

    // The partner has stopped when its kick is closed: then this does nothing.
    private void Kick() => _kick.Signal();

    private void DrainKick()
    {
        ulong count;
        _ = LibC.read(_kick.Fd, &count, sizeof(ulong));
    }

    // When the partner's next frame of a short line is due; MaxValue when none is, or when it is overdue
    // by more than the polling window (the partner is stalled: waiting on it would only burn the CPU).
    private long PartnerWake(long now)
    {
        var partner = Partner;
        if (partner is null)
        {
            return long.MaxValue;
        }
        long deadline = Volatile.Read(ref partner._sparseDeadline);
        return deadline != long.MaxValue && deadline + _anticipationTicks < now ? long.MaxValue : deadline;
    }

    private long NextWake()
    {
        long wake = long.MaxValue;
        if (_line.Count > 0)
        {
            wake = Math.Min(wake, _line.Peek().Deadline);
        }
        if (_held.Count > 0)
        {
            wake = Math.Min(wake, _held.Peek().HoldUntil);
        }
        return wake;
    }
}
