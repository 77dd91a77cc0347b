using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Walks the netlink messages of one received datagram. Lengths come from the kernel but are still
// checked: a message or attribute that claims more bytes than remain ends the walk with an error
// rather than reading past the buffer.
internal ref struct NetlinkMessageReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkMessageReader(ReadOnlySpan<byte> datagram)
    {
        _remaining = datagram;
    }

    public bool TryRead(out NetlinkMessage message)
    {
        if (_remaining.Length < Unsafe.SizeOf<nlmsghdr>())
        {
            message = default;
            return false;
        }
        var header = MemoryMarshal.Read<nlmsghdr>(_remaining);
        message = new NetlinkMessage(header, TakeRecord(ref _remaining, Unsafe.SizeOf<nlmsghdr>(), (int)Math.Min(header.nlmsg_len, int.MaxValue), "message"));
        return true;
    }

    // One step of a netlink walk, messages and attributes alike: the header's length (header included)
    // is checked against what remains; the body is returned and the walk moves to the next 4-byte boundary.
    internal static ReadOnlySpan<byte> TakeRecord(scoped ref ReadOnlySpan<byte> remaining, int headerSize, int length, string what)
    {
        if (length < headerSize || length > remaining.Length)
        {
            throw new InvalidDataException($"Malformed netlink {what}: length {length} with {remaining.Length} bytes left.");
        }
        var body = remaining[headerSize..length];
        remaining = remaining[Math.Min(NetlinkAlign(length), remaining.Length)..];
        return body;
    }
}

internal readonly ref struct NetlinkMessage
{
    public NetlinkMessage(nlmsghdr header, ReadOnlySpan<byte> payload)
    {
        Header = header;
        Payload = payload;
    }

    public nlmsghdr Header { get; }

    /// <summary>Everything after nlmsghdr: the family header, then attributes.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    public ushort Type => Header.nlmsg_type;

    public ushort Flags => Header.nlmsg_flags;

    public uint Sequence => Header.nlmsg_seq;

    /// <summary>Reads the family header (ifinfomsg, ifaddrmsg, rtmsg...) at the start of the payload.</summary>
    public T ReadHeader<T>()
        where T : unmanaged
    {
        if (Payload.Length < Unsafe.SizeOf<T>())
        {
            throw new InvalidDataException($"Netlink message type {Type} is too short for {typeof(T).Name}.");
        }
        return MemoryMarshal.Read<T>(Payload);
    }

    /// <summary>The attributes after a family header of type <typeparamref name="T"/>.</summary>
    public NetlinkAttributeReader Attributes<T>()
        where T : unmanaged =>
        new(Payload.Length >= NetlinkAlign(Unsafe.SizeOf<T>()) ? Payload[NetlinkAlign(Unsafe.SizeOf<T>())..] : default);
}

// Walks a run of attributes: a message's, or a nested attribute's children.
internal ref struct NetlinkAttributeReader
{
    private ReadOnlySpan<byte> _remaining;

    public NetlinkAttributeReader(ReadOnlySpan<byte> attributes)
    {
        _remaining = attributes;
    }

    public bool TryRead(out NetlinkAttribute attribute)
    {
        if (_remaining.Length < Unsafe.SizeOf<rtattr>())
        {
            attribute = default;
            return false;
        }
        var header = MemoryMarshal.Read<rtattr>(_remaining);
        attribute = new NetlinkAttribute(header.rta_type, NetlinkMessageReader.TakeRecord(ref _remaining, Unsafe.SizeOf<rtattr>(), header.rta_len, "attribute"));
        return true;
    }
}

internal readonly ref struct NetlinkAttribute
{
    private readonly ushort _rawType;

    public NetlinkAttribute(ushort rawType, ReadOnlySpan<byte> payload)
    {
        _rawType = rawType;
        Payload = payload;
    }

    /// <summary>The attribute type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits.</summary>
    public ushort Type => (ushort)(_rawType & NLA_TYPE_MASK);

    public ReadOnlySpan<byte> Payload { get; }

    public byte AsByte() => Payload.Length >= 1 ? Payload[0] : throw Short(1);

    public uint AsUInt32() => Payload.Length >= 4 ? MemoryMarshal.Read<uint>(Payload) : throw Short(4);

    public int AsInt32() => (int)AsUInt32();

    /// <summary>A string attribute, up to its first NUL (or its end when it has none).</summary>
    public string AsString()
    {
        int nul = Payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? Payload[..nul] : Payload);
    }

    /// <summary>An address in network byte order: 4 bytes IPv4, 16 bytes IPv6.</summary>
    public IPAddress AsAddress() => Payload.Length is 4 or 16
        ? new IPAddress(Payload)
        : throw new InvalidDataException($"Netlink attribute {Type} holds {Payload.Length} bytes, not an IPv4 or IPv6 address.");

    /// <summary>The children of a nested attribute, after a fixed header of <paramref name="skip"/> bytes.</summary>
    public NetlinkAttributeReader Nested(int skip = 0) =>
        new(Payload.Length >= NetlinkAlign(skip) ? Payload[NetlinkAlign(skip)..] : default);

    private InvalidDataException Short(int needed) =>
        new($"Netlink attribute {Type} holds {Payload.Length} bytes; {needed} expected.");
}
