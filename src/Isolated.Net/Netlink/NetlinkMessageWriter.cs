using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Builds one or more netlink messages back to back in a pooled buffer, ready for a single send().
// Attributes are written in place; AddAttribute returns the new attribute as a writer for its nested
// children (as vishvananda/netlink's AddRtAttr returns the child). Writing is sequential: adding
// through an outer writer closes the inner attributes opened since. A leaf keeps rta_len = header +
// payload (padding not counted, as the kernel's nla_put does); an attribute that received children
// is measured to the end of its last child, padding included (nla_nest_end).
internal sealed class NetlinkMessageWriter : IDisposable
{
    private const int MaxDepth = 32;

    private readonly int[] _openOffsets = new int[MaxDepth + 1];
    private readonly bool[] _hasChildren = new bool[MaxDepth + 1];
    private byte[] _buffer;
    private int _length;
    private int _openCount; // 0: no message open; 1: a message; n: the message and n-1 attributes
    private int _messageCount;
    private bool _disposed;

    public NetlinkMessageWriter(int initialCapacity = 512)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>The messages written so far, the last one closed.</summary>
    public ReadOnlySpan<byte> WrittenSpan
    {
        get
        {
            EndMessage();
            return _buffer.AsSpan(0, _length);
        }
    }

    public int Length => _length;

    public int MessageCount => _messageCount;

    /// <summary>Starts a message: nlmsghdr, then the family header (ifinfomsg, rtmsg, ...).</summary>
    public NetlinkAttributeWriter BeginMessage<THeader>(ushort type, ushort flags, uint sequence, in THeader familyHeader)
        where THeader : unmanaged
    {
        EndMessage();
        int start = _length;
        var header = new nlmsghdr { nlmsg_type = type, nlmsg_flags = flags, nlmsg_seq = sequence };
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<nlmsghdr>(in header)));
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<THeader>(in familyHeader)));
        _openOffsets[0] = start;
        _hasChildren[0] = true;
        _openCount = 1;
        _messageCount++;
        return new NetlinkAttributeWriter(this, 0, start);
    }

    /// <summary>Closes every open attribute and the message, writing their lengths.</summary>
    public void EndMessage()
    {
        if (_openCount == 0)
        {
            return;
        }
        CloseDeeperThan(0);
        int start = _openOffsets[0];
        WriteUInt32(start, (uint)(_length - start));
        _openCount = 0;
    }

    /// <summary>Drops everything written; the buffer is kept for reuse.</summary>
    public void Reset()
    {
        _length = 0;
        _openCount = 0;
        _messageCount = 0;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        var buffer = _buffer;
        _buffer = [];
        _length = 0;
        _openCount = 0;
        ArrayPool<byte>.Shared.Return(buffer);
    }

    internal NetlinkAttributeWriter AddAttribute(int depth, int offset, ushort type, ReadOnlySpan<byte> payload)
    {
        if (depth >= _openCount || _openOffsets[depth] != offset)
        {
            throw new InvalidOperationException("This netlink attribute was already closed: attributes are written in order, and adding through an outer one (or starting a new message) closes the inner ones.");
        }
        if (depth + 1 > MaxDepth)
        {
            throw new InvalidOperationException($"Netlink attributes nest at most {MaxDepth} deep here.");
        }
        int attributeLength = Unsafe.SizeOf<rtattr>() + payload.Length;
        if (attributeLength > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), $"A netlink attribute holds at most {ushort.MaxValue - 4} bytes.");
        }
        CloseDeeperThan(depth);
        _hasChildren[depth] = true;
        int start = _length;
        var header = new rtattr { rta_len = (ushort)attributeLength, rta_type = type };
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<rtattr>(in header)));
        Append(payload);
        _openOffsets[depth + 1] = start;
        _hasChildren[depth + 1] = false;
        _openCount = depth + 2;
        return new NetlinkAttributeWriter(this, depth + 1, start);
    }

    // Closes attributes opened below `depth`: a nest is measured to the current (aligned) end.
    private void CloseDeeperThan(int depth)
    {
        for (int i = _openCount - 1; i > depth; i--)
        {
            if (_hasChildren[i])
            {
                int start = _openOffsets[i];
                int length = _length - start;
                if (length > ushort.MaxValue)
                {
                    throw new InvalidOperationException($"A nested netlink attribute grew to {length} bytes; rta_len holds at most {ushort.MaxValue}.");
                }
                BitConverter.TryWriteBytes(_buffer.AsSpan(start, 2), (ushort)length);
            }
        }
        _openCount = Math.Min(_openCount, depth + 1);
    }

    // Appends bytes, then zero padding up to the 4-byte alignment.
    private void Append(ReadOnlySpan<byte> bytes)
    {
        int padded = NetlinkAlign(bytes.Length);
        EnsureCapacity(_length + padded);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _buffer.AsSpan(_length + bytes.Length, padded - bytes.Length).Clear();
        _length += padded;
    }

    private void WriteUInt32(int offset, uint value) => BitConverter.TryWriteBytes(_buffer.AsSpan(offset, 4), value);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _buffer.Length)
        {
            return;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}

// A message or an attribute being written; adding to it appends a child and returns the child.
internal readonly struct NetlinkAttributeWriter
{
    private readonly NetlinkMessageWriter _writer;
    private readonly int _depth;
    private readonly int _offset;

    internal NetlinkAttributeWriter(NetlinkMessageWriter writer, int depth, int offset)
    {
        _writer = writer;
        _depth = depth;
        _offset = offset;
    }

    /// <summary>Adds an attribute with no payload yet: a nest for the children added to the result.</summary>
    public NetlinkAttributeWriter AddAttribute(ushort type) => _writer.AddAttribute(_depth, _offset, type, default);

    /// <summary>Adds an attribute carrying <paramref name="payload"/>; children may follow it.</summary>
    public NetlinkAttributeWriter AddAttribute(ushort type, ReadOnlySpan<byte> payload) => _writer.AddAttribute(_depth, _offset, type, payload);

    /// <summary>Adds an attribute carrying a fixed-size value or struct in host byte order.</summary>
    public NetlinkAttributeWriter AddAttribute<T>(ushort type, in T value)
        where T : unmanaged =>
        _writer.AddAttribute(_depth, _offset, type, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));

    /// <summary>Adds a UTF-8 string attribute, NUL-terminated unless told otherwise (IFLA_INFO_KIND goes without, as iproute2 sends it).</summary>
    public NetlinkAttributeWriter AddString(ushort type, string value, bool nulTerminated = true)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        Span<byte> bytes = length < 256 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[length] = 0;
        return AddAttribute(type, bytes[..(nulTerminated ? length + 1 : length)]);
    }

    /// <summary>Adds an IPv4 or IPv6 address in network byte order (4 or 16 bytes).</summary>
    public NetlinkAttributeWriter AddAddress(ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        return AddAttribute(type, bytes[..written]);
    }
}
