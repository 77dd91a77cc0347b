namespace Isolated.Net;

// A frame waiting in a pump: its pooled buffer, and when it arrived and is due.
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
