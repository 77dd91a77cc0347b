namespace Isolated.Net;

// What happened to each frame of one direction, for tests that check the forwarder against its own
// model: when it was read (Arrival), when the model said it was due (Deadline) and when it was written
// (Sent), all in Stopwatch ticks. Frames that were lost or found the queue full have Sent = -1. Bounded:
// frames past the capacity are not recorded.
internal sealed class FrameTrace(int capacity)
{
    private readonly List<TracedFrame> _frames = new(capacity);

    public void Add(in TracedFrame frame)
    {
        lock (_frames)
        {
            if (_frames.Count < capacity)
            {
                _frames.Add(frame);
            }
        }
    }

    public IReadOnlyList<TracedFrame> Frames
    {
        get
        {
            lock (_frames)
            {
                return _frames.ToArray();
            }
        }
    }
}

// Length is the bytes the frame takes on the wire (a super-frame's Segments, headers repeated);
// Duplicate and Reorder are the model's choices for it.
internal readonly record struct TracedFrame(long Arrival, long Deadline, long Sent, int Length, bool Control, bool Duplicate = false, bool Reorder = false, int Segments = 1);
