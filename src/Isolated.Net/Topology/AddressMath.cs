using System.Net;
using Isolated.Net.Netlink;

namespace Isolated.Net;

// Arithmetic on IP addresses within a network.
internal static class AddressMath
{
    public static IPAddress Add(IPAddress address, UInt128 offset)
    {
        var bytes = address.GetAddressBytes();
        UInt128 carry = offset;
        for (int i = bytes.Length - 1; i >= 0 && carry != 0; i--)
        {
            UInt128 sum = bytes[i] + (carry & 0xFF);
            bytes[i] = (byte)sum;
            carry = (carry >> 8) + (sum >> 8);
        }
        return new IPAddress(bytes);
    }

    public static IPAddress Last(IPNetwork network)
    {
        var bytes = network.BaseAddress.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(network.PrefixLength - (i * 8), 0, 8);
            bytes[i] |= (byte)~(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }
}
