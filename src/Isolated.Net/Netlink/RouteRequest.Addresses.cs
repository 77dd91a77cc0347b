using System.Globalization;
using System.Net;
using System.Net.Sockets;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Address requests (ip address add/del/show) and their validation.
internal sealed partial class RouteRequest
{
    // Equivalent to: ip addr add ADDRESS/PREFIX brd + dev IFINDEX (IPv6: ip -6 addr add ADDRESS/PREFIX dev IFINDEX nodad)
    public static RouteRequest AddAddress(int index, IPAddress address, int prefixLength)
    {
        ValidateAddress(index, address, prefixLength);
        return new(DescribeAddress("adding", index, address, prefixLength), (writer, sequence) =>
            EncodeAddress(writer, RTM_NEWADDR, CreateFlags, sequence, index, address, prefixLength, withBroadcast: true));
    }

    // Equivalent to: ip addr del ADDRESS/PREFIX dev IFINDEX
    public static RouteRequest RemoveAddress(int index, IPAddress address, int prefixLength)
    {
        ValidateAddress(index, address, prefixLength);
        return new(DescribeAddress("removing", index, address, prefixLength), (writer, sequence) =>
            EncodeAddress(writer, RTM_DELADDR, ChangeFlags, sequence, index, address, prefixLength, withBroadcast: false));
    }

    // Equivalent to: ip addr show (family AF_UNSPEC: both IPv4 and IPv6)
    public static RouteRequest DumpAddresses(AddressFamily family = AddressFamily.Unspecified)
    {
        byte familyByte = FamilyByte(family, allowUnspecified: true);
        return new("listing addresses", (writer, sequence) =>
            writer.BeginMessage(RTM_GETADDR, DumpFlags, sequence, new ifaddrmsg { ifa_family = familyByte }), isDump: true);
    }

    /// <summary>Throws ArgumentException for an address or prefix the kernel would refuse.</summary>
    public static void ValidateAddress(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        int maxPrefix = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => 32,
            AddressFamily.InterNetworkV6 => 128,
            _ => throw new ArgumentException($"Address {address} is neither IPv4 nor IPv6.", nameof(address)),
        };
        if (prefixLength < 0 || prefixLength > maxPrefix)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"The prefix length of {address} must be 0 to {maxPrefix}.");
        }
    }

    private static void ValidateAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ValidateAddress(address, prefixLength);
    }

    private static void EncodeAddress(NetlinkMessageWriter writer, ushort type, ushort flags, uint sequence, int index, IPAddress address, int prefixLength, bool withBroadcast)
    {
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        var header = new ifaddrmsg
        {
            ifa_family = v4 ? AF_INET : AF_INET6,
            ifa_prefixlen = (byte)prefixLength,
            // NODAD: the address is usable (bindable) at once instead of tentative for ~1 s of DAD.
            ifa_flags = v4 || type != RTM_NEWADDR ? (byte)0 : (byte)IFA_F_NODAD,
            ifa_scope = v4 && type == RTM_NEWADDR && IPAddress.IsLoopback(address) ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE,
            ifa_index = index,
        };
        var message = writer.BeginMessage(type, flags, sequence, header);
        message.AddAddress(IFA_LOCAL, address);
        message.AddAddress(IFA_ADDRESS, address);
        if (withBroadcast && v4 && prefixLength <= 30)
        {
            message.AddAddress(IFA_BROADCAST, BroadcastOf(address, prefixLength));
        }
    }

    // iproute2's "brd +": the address with every host bit set.
    internal static IPAddress BroadcastOf(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint hostMask = prefixLength == 0 ? uint.MaxValue : (1u << (32 - prefixLength)) - 1;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value | hostMask);
        return new IPAddress(bytes);
    }

    private static string DescribeAddress(string verb, int index, IPAddress address, int prefixLength) =>
        string.Create(CultureInfo.InvariantCulture, $"{verb} address {address}/{prefixLength} {(verb == "adding" ? "to" : "from")} link #{index}");
}
