using System.Buffers;
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
internal sealed unsafe class ImpairmentPump
{
    private const int ReadBurst = 64;             // frames read before the clock-driven work is looked at again
    private const int SlotSize = 2048;            // a pooled buffer holds a frame of a 1500-byte MTU with room to spare
    private const int ScratchSize = 65536 + 64;   // the largest frame a TAP hands out (64 KiB MTU plus headers)
    private const long SpinNanoseconds = 50_000;  // the last stretch before a deadline is spun, not slept
    private const ulong SourceTag = 0;
    private const ulong StopTag = 1;

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
    }

    public int ThreadId { get; private set; }

    public bool IsRealTime { get; private set; }

    public bool IsCurrentThread => _thread == Thread.CurrentThread;

    // Call from a root-namespace thread: the new thread is born in the caller's namespace. The fds are
    // referenced here, before the thread exists, so a concurrent stop cannot close them under it.
    public void Start(string name)
    {
        bool source = false, destination = false, stop = false;
        try
        {
            _source.DangerousAddRef(ref source);
            _destination.DangerousAddRef(ref destination);
            _stopEvent.DangerousAddRef(ref stop);
            _thread = new Thread(Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = name };
            _thread.UnsafeStart();
        }
        catch
        {
            Release(source, destination, stop);
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
            Loop(epoll.Fd);
        }
        catch (Exception ex)
        {
            _forwarder.Abort(ex);
        }
        finally
        {
            Release(true, true, true);
        }
    }

    private void Release(bool source, bool destination, bool stop)
    {
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
        epoll_event* events = stackalloc epoll_event[2];
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
            long wake = NextWake();
            long timeout = -1;
            if (wake != long.MaxValue)
            {
                long remaining = wake - now;
                if (remaining <= _spinTicks)
                {
                    if (remaining > 0)
                    {
                        Thread.SpinWait(20);
                    }
                    continue;
                }
                timeout = (long)((remaining - _spinTicks) * (1_000_000_000.0 / Stopwatch.Frequency));
            }
            int ready = EpollWait(epoll, events, 2, timeout);
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

    // Decides the fate of the frame in the scratch buffer. False when the link must stop.
    private bool Admit(int length, long now)
    {
        var settings = _direction.Current;
        _direction.ReceivedCount++;
        bool control = !settings.Source.ImpairLinkControl && LinkControlFrames.IsLinkControl(_scratch.AsSpan(0, length));
        var decision = _model.Decide(settings, length, control, now);
        var trace = _direction.Trace;
        if (decision.Verdict == FrameVerdict.Lost)
        {
            _direction.DroppedCount++;
            trace?.Add(new TracedFrame(now, decision.Deadline, -1, length, control));
            return true;
        }
        if (decision.Verdict == FrameVerdict.QueueFull || _line.Count + _held.Count >= ImpairmentSettings.MaxQueueLimit)
        {
            _direction.QueueDroppedCount++;
            trace?.Add(new TracedFrame(now, decision.Deadline, -1, length, control));
            return true;
        }
        if (decision.Deadline > now)
        {
            _direction.DelayedCount++;
        }
        if (_line.Count == 0 && decision.Deadline <= now && !decision.Reorder)
        {
            // Due now with nothing ahead of it: straight from the scratch buffer, no copy.
            trace?.Add(new TracedFrame(now, decision.Deadline, Stopwatch.GetTimestamp(), length, control));
            return Deliver(_scratch, length, decision.Duplicate);
        }
        var buffer = Rent(length);
        _scratch.AsSpan(0, length).CopyTo(buffer);
        long holdUntil = decision.Reorder ? decision.Deadline + settings.ReorderTimeoutTicks : 0;
        _line.Enqueue(new QueuedFrame(buffer, length, now, decision.Deadline, holdUntil, decision.Duplicate, control));
        return true;
    }

    // Sends every frame whose time has come. False when the link must stop.
    private bool ReleaseDue(long now)
    {
        while (_line.Count > 0 && _line.Peek().Deadline <= now)
        {
            var frame = _line.Dequeue();
            // Read the clock for each frame: the writes before it took time too.
            long sent = Stopwatch.GetTimestamp();
            _direction.RecordLateness(sent - frame.Deadline);
            if (frame.HoldUntil != 0)
            {
                _held.Enqueue(frame); // waits for the next frame to overtake it
                continue;
            }
            _direction.Trace?.Add(new TracedFrame(frame.Arrival, frame.Deadline, sent, frame.Length, frame.Control));
            bool alive = Deliver(frame.Buffer, frame.Length, frame.Duplicate);
            Return(frame.Buffer);
            if (!alive)
            {
                return false;
            }
        }
        // Held frames nothing overtook in time leave in order.
        return ReleaseHeld(until: now, overtaken: false);
    }

    // Writes a frame, then the frames held back for it to overtake.
    private bool Deliver(byte[] buffer, int length, bool duplicate) =>
        Write(buffer, length, duplicate) && ReleaseHeld(until: long.MaxValue, overtaken: true);

    // Writes the held frames whose hold ends by UNTIL (all of them once a frame has overtaken them).
    private bool ReleaseHeld(long until, bool overtaken)
    {
        while (_held.Count > 0 && _held.Peek().HoldUntil <= until)
        {
            var frame = _held.Dequeue();
            if (overtaken)
            {
                _direction.ReorderedCount++;
            }
            _direction.Trace?.Add(new TracedFrame(frame.Arrival, frame.Deadline, Stopwatch.GetTimestamp(), frame.Length, frame.Control));
            bool alive = Write(frame.Buffer, frame.Length, frame.Duplicate);
            Return(frame.Buffer);
            if (!alive)
            {
                return false;
            }
        }
        return true;
    }

    private bool Write(byte[] buffer, int length, bool duplicate)
    {
        if (!WriteOnce(buffer, length))
        {
            return false;
        }
        _direction.PassedCount++;
        _direction.BytesPassedCount += length;
        if (duplicate)
        {
            if (!WriteOnce(buffer, length))
            {
                return false;
            }
            _direction.DuplicatedCount++;
        }
        return true;
    }

    private bool WriteOnce(byte[] buffer, int length)
    {
        while (true)
        {
            long written;
            fixed (byte* data = buffer)
            {
                written = LibC.write(_destination.Fd, data, length);
            }
            if (written >= 0)
            {
                return true;
            }
            int errno = LastErrno;
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == EBADFD)
            {
                _forwarder.Stop();
                return false;
            }
            // The receiving interface is down, or refused the frame: the frame is lost, the link goes on.
            _direction.UndeliverableCount++;
            return true;
        }
    }

    private long NextWake()
    {
        long wake = long.MaxValue;
        if (_line.Count > 0)
        {
            wake = _line.Peek().Deadline;
        }
        if (_held.Count > 0)
        {
            wake = Math.Min(wake, _held.Peek().HoldUntil);
        }
        return wake;
    }

    private byte[] Rent(int length)
    {
        if (length > SlotSize)
        {
            return ArrayPool<byte>.Shared.Rent(length);
        }
        return _pool.TryPop(out var buffer) ? buffer : new byte[SlotSize];
    }

    private void Return(byte[] buffer)
    {
        if (buffer.Length == SlotSize)
        {
            _pool.Push(buffer);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

internal readonly record struct QueuedFrame(byte[] Buffer, int Length, long Arrival, long Deadline, long HoldUntil, bool Duplicate, bool Control);

// A growable ring of frames: no allocation per frame once it has grown to the traffic's needs.
internal sealed class FrameLine
{
    private QueuedFrame[] _items = new QueuedFrame[64];
    private int _head;

    public int Count { get; private set; }

    public ref readonly QueuedFrame Peek() => ref _items[_head];

    public void Enqueue(in QueuedFrame frame)
    {
        if (Count == _items.Length)
        {
            var larger = new QueuedFrame[_items.Length * 2];
            for (int i = 0; i < Count; i++)
            {
                larger[i] = _items[(_head + i) & (_items.Length - 1)];
            }
            _items = larger;
            _head = 0;
        }
        _items[(_head + Count) & (_items.Length - 1)] = frame;
        Count++;
    }

    public QueuedFrame Dequeue()
    {
        var frame = _items[_head];
        _items[_head] = default;
        _head = (_head + 1) & (_items.Length - 1);
        Count--;
        return frame;
    }
}
