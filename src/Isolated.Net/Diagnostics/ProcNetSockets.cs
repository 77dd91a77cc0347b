using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Isolated.Net;

// Reads /proc/thread-self/net/{tcp,tcp6,udp,udp6}. /proc/thread-self/net shows the network namespace
// of the reading thread (/proc/self/net would show the main thread's), so Read runs on the namespace thread.
internal static class ProcNetSockets
{
    private static readonly string[] s_tcpStates =
        ["?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV"];

    public static IReadOnlyList<SocketInfo> Read()
    {
        var sockets = new List<SocketInfo>();
        foreach (var (file, protocol) in new[] { ("tcp", SocketProtocol.Tcp), ("tcp6", SocketProtocol.Tcp), ("udp", SocketProtocol.Udp), ("udp6", SocketProtocol.Udp) })
        {
            string path = "/proc/thread-self/net/" + file;
            if (!File.Exists(path))
            {
                continue; // udp6/tcp6 are absent when IPv6 is disabled
            }
            sockets.AddRange(Parse(File.ReadAllText(path), protocol));
        }
        return sockets;
    }

    // Lines look like "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 12345 ...".
    public static IEnumerable<SocketInfo> Parse(string text, SocketProtocol protocol)
    {
        foreach (var line in text.Split('\n').Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }
            int state = int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string name = protocol == SocketProtocol.Udp
                ? (state == 1 ? "ESTAB" : "UNCONN")
                : state < s_tcpStates.Length ? s_tcpStates[state] : state.ToString(CultureInfo.InvariantCulture);
            yield return new SocketInfo
            {
                Protocol = protocol,
                Local = ParseEndPoint(fields[1]),
                Remote = ParseEndPoint(fields[2]),
                State = name,
            };
        }
    }

    // The address is the in-memory __be32 words printed with %08X on this (little-endian) machine, so
    // each 32-bit word is written back in native order to recover the network-order bytes.
    public static IPEndPoint ParseEndPoint(string field)
    {
        int colon = field.IndexOf(':', StringComparison.Ordinal);
        var hex = field.AsSpan(0, colon);
        var bytes = new byte[hex.Length / 2];
        for (int word = 0; word < bytes.Length / 4; word++)
        {
            uint value = uint.Parse(hex.Slice(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(word * 4), BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
        }
        int port = int.Parse(field.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
