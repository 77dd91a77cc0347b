using System.Globalization;
using System.Runtime.InteropServices;
using Isolated.Net.Netlink;

namespace Isolated.Net.Tests.Netlink;

// Expected wire bytes written by hand: each string is one C struct or attribute, in hex, spaces
// ignored. Multi-byte integers are host order (little-endian on the machines we test on), addresses
// network order.
internal static class WireBytes
{
    public static byte[] Hex(params string[] lines)
    {
        var hex = string.Concat(lines).Replace(" ", "", StringComparison.Ordinal);
        return Convert.FromHexString(hex);
    }

    /// <summary>The bytes of one request encoded with sequence number 1.</summary>
    public static byte[] Encode(RouteRequest request, uint sequence = 1)
    {
        using var writer = new NetlinkMessageWriter();
        request.Encode(writer, sequence);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Hex with a space every 4 bytes, so a failing comparison shows where it differs.</summary>
    public static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                text.Append(' ');
            }
            text.Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}

// A SafeHandle around a made-up fd number that is never closed: golden tests need a namespace fd
// in the message without owning a real namespace.
internal sealed class FakeFd : SafeHandle
{
    public FakeFd(int fd) : base(fd, ownsHandle: false)
    {
    }

    public override bool IsInvalid => false;

    protected override bool ReleaseHandle() => true;
}
