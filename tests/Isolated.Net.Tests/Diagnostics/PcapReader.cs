using System.Buffers.Binary;
using System.Net;

namespace Isolated.Net.Tests.Diagnostics;

// Our own reading of a classic pcap file, independent of the writer: the global header fields, then each
// record's header, and of each Ethernet/IPv4/TCP frame the addresses, ports and flags.
internal sealed record PcapFile(uint Magic, ushort VersionMajor, ushort VersionMinor, uint SnapLength, uint LinkType, IReadOnlyList<PcapRecord> Records)
{
    public static PcapFile Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        var records = new List<PcapRecord>();
        int offset = 24;
        while (offset + 16 <= bytes.Length)
        {
            uint seconds = BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            uint microseconds = BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 4)..]);
            int included = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]);
            int original = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 12)..]);
            records.Add(new PcapRecord(seconds, microseconds, original, bytes.AsSpan(offset + 16, included).ToArray()));
            offset += 16 + included;
        }
        if (offset != bytes.Length)
        {
            throw new InvalidDataException($"pcap ends inside a record at {offset} of {bytes.Length} bytes");
        }
        return new PcapFile(
            BinaryPrimitives.ReadUInt32LittleEndian(span),
            BinaryPrimitives.ReadUInt16LittleEndian(span[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(span[6..]),
            BinaryPrimitives.ReadUInt32LittleEndian(span[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            records);
    }
}

internal sealed record PcapRecord(uint Seconds, uint Microseconds, int OriginalLength, byte[] Data)
{
    [Flags]
    public enum TcpFlags
    {
        Fin = 0x01,
        Syn = 0x02,
        Rst = 0x04,
        Psh = 0x08,
        Ack = 0x10,
    }

    // Ethernet II (14 bytes, ethertype 0x0800) + IPv4 + TCP; null for anything else.
    public (IPEndPoint Source, IPEndPoint Destination, TcpFlags Flags)? Tcp4()
    {
        var frame = Data.AsSpan();
        if (frame.Length < 14 + 20 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800)
        {
            return null;
        }
        var ip = frame[14..];
        int headerLength = (ip[0] & 0x0f) * 4;
        if (ip[9] != 6 || ip.Length < headerLength + 20)
        {
            return null;
        }
        var tcp = ip[headerLength..];
        return (new IPEndPoint(new IPAddress(ip.Slice(12, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp)),
                new IPEndPoint(new IPAddress(ip.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..])),
                (TcpFlags)(tcp[13] & 0x1f));
    }
}
