using System.Buffers.Binary;

namespace Isolated.Net;

// Classic libpcap format (not pcapng): a 24-byte global header, then per packet a 16-byte record
// header (ts_sec, ts_usec, incl_len, orig_len) and incl_len bytes. Written little-endian with magic
// 0xa1b2c3d4, which readers use to detect the byte order; microsecond timestamps.
internal sealed class PcapWriter : IDisposable
{
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;
    public const uint Magic = 0xa1b2c3d4;
    public const uint LinkTypeEthernet = 1;

    private readonly Stream _stream;

    public PcapWriter(Stream stream, int snapLength)
    {
        _stream = stream;
        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2); // version 2.4
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
        _stream.Write(header);
        Length = GlobalHeaderLength;
    }

    public long Length { get; private set; }

    public void Write(DateTimeOffset timestamp, ReadOnlySpan<byte> packet, int originalLength)
    {
        long microseconds = (timestamp - DateTimeOffset.UnixEpoch).Ticks / 10;
        Span<byte> record = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(microseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(microseconds % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)packet.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)originalLength);
        _stream.Write(record);
        _stream.Write(packet);
        Length += RecordHeaderLength + packet.Length;
    }

    public void Dispose() => _stream.Dispose();
}
