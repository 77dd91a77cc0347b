using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Isolated.Net;

/// <summary>An address assigned to an interface together with its prefix length, e.g. 10.0.1.2/24.</summary>
/// <param name="Address">The host address.</param>
/// <param name="PrefixLength">The prefix length of the subnet it belongs to.</param>
public readonly record struct InterfaceAddress(IPAddress Address, int PrefixLength)
{
    /// <summary>The subnet the address belongs to (host bits cleared).</summary>
    public IPNetwork Network => new(Mask(Address, PrefixLength), PrefixLength);

    /// <summary>True for IPv4 addresses.</summary>
    public bool IsIPv4 => Address.AddressFamily == AddressFamily.InterNetwork;

    /// <summary>Parses "10.0.1.2/24" or "fd00::2/64".</summary>
    /// <param name="text">Address and prefix length separated by '/'.</param>
    public static InterfaceAddress Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out var address)
            || !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            throw new FormatException($"'{text}' is not an address with a prefix length such as 10.0.1.2/24 or fd00::2/64.");
        }
        return new InterfaceAddress(address, prefix);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}");

    internal static IPAddress Mask(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int bits = Math.Clamp(prefixLength - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }
}
