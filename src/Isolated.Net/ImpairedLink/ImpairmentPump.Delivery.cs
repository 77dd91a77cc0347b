using System.Buffers;
using System.Diagnostics;
using Isolated.Net.Interop;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

// What happens to one frame: admission by the model, the deadline line, reordering, duplication, the write.
internal sealed unsafe partial class ImpairmentPump
{
    // Decides the fate of the frame in the scratch buffer (its virtio_net_hdr, then the Ethernet frame).
    // False when the link must stop.
    private bool Admit(int length, long now)
    {
        var settings = _direction.Current;
        var frame = _scratch.AsSpan(0, length);
        var (wireBytes, segments) = SuperFrame.Measure(frame);
        _direction.ReceivedCount += segments;
        bool control = !settings.Source.ImpairLinkControl && LinkControlFrames.IsLinkControl(frame[SuperFrame.HeaderSize..]);
        var decision = _model.Decide(settings, wireBytes, control, now, segments);
        var trace = _direction.Trace;
        if (decision.Verdict == FrameVerdict.Lost)
        {
            _direction.DroppedCount++;
            trace?.Add(new TracedFrame(now, decision.Deadline, -1, wireBytes, control, Segments: segments));
            return true;
        }
        if (decision.Verdict == FrameVerdict.QueueFull || _line.Count + _held.Count >= ImpairmentSettings.MaxQueueLimit)
        {
            _direction.QueueDroppedCount += segments;
            trace?.Add(new TracedFrame(now, decision.Deadline, -1, wireBytes, control, Segments: segments));
            return true;
        }
        if (decision.Deadline > now)
        {
            _direction.DelayedCount += segments;
        }
        if (_line.Count == 0 && decision.Deadline <= now && !decision.Reorder)
        {
            // Due now with nothing ahead of it: straight from the scratch buffer, no copy.
            trace?.Add(new TracedFrame(now, decision.Deadline, Stopwatch.GetTimestamp(), wireBytes, control, decision.Duplicate, Segments: segments));
            return Deliver(_scratch, length, decision.Duplicate);
        }
        var buffer = Rent(length);
        frame.CopyTo(buffer);
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
            if (_direction.Trace is { } trace)
            {
                var (wireBytes, segments) = SuperFrame.Measure(frame.Buffer.AsSpan(0, frame.Length));
                trace.Add(new TracedFrame(frame.Arrival, frame.Deadline, sent, wireBytes, frame.Control, frame.Duplicate, Segments: segments));
            }
            bool alive = Deliver(frame.Buffer, frame.Length, frame.Duplicate);
            if (_line.Count < SparseLine)
            {
                Volatile.Write(ref _lastSparseDelivery, Stopwatch.GetTimestamp());
            }
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
            _direction.Trace?.Add(new TracedFrame(frame.Arrival, frame.Deadline, Stopwatch.GetTimestamp(), SuperFrame.Measure(frame.Buffer.AsSpan(0, frame.Length)).WireBytes, frame.Control, frame.Duplicate, Reorder: true));
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
        var (wireBytes, segments) = SuperFrame.Measure(buffer.AsSpan(0, length));
        _direction.PassedCount += segments;
        _direction.BytesPassedCount += wireBytes;
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
