using System.Globalization;
using System.Text;

namespace Isolated.Net.Netlink;

// A link named by its index or by its name. RTM_SETLINK and RTM_DELLINK accept either (ifi_index, or
// IFLA_IFNAME with ifi_index 0), so naming a link costs no lookup there; requests that need an index
// (addresses, routes, IFLA_MASTER) resolve a name first.
internal readonly struct LinkRef : IEquatable<LinkRef>
{
    private LinkRef(int index, string? name)
    {
        Index = index;
        Name = name;
    }

    public int Index { get; }

    public string? Name { get; }

    public bool IsIndex => Name is null;

    public static LinkRef ByIndex(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new LinkRef(index, null);
    }

    public static LinkRef ByName(string name)
    {
        InterfaceName.Validate(name);
        return new LinkRef(0, name);
    }

    public static implicit operator LinkRef(int index) => ByIndex(index);

    public static implicit operator LinkRef(string name) => ByName(name);

    /// <summary>"link 'a0'" or "link #5", for operation names in errors.</summary>
    public override string ToString() =>
        Name is not null ? $"link '{Name}'" : string.Create(CultureInfo.InvariantCulture, $"link #{Index}");

    public bool Equals(LinkRef other) => Index == other.Index && Name == other.Name;

    public override bool Equals(object? obj) => obj is LinkRef other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Index, Name);

    public static bool operator ==(LinkRef left, LinkRef right) => left.Equals(right);

    public static bool operator !=(LinkRef left, LinkRef right) => !left.Equals(right);
}

// What the kernel's dev_valid_name accepts, checked before a request is built so the error names
// the bad name instead of coming back as a bare EINVAL.
internal static class InterfaceName
{
    public const int MaxBytes = 15; // IFNAMSIZ - 1

    public static void Validate(string name, string? parameterName = null)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName ?? nameof(name));
        if (Problem(name) is { } problem)
        {
            throw new ArgumentException($"Interface name '{name}' is invalid: {problem}. Linux names are 1–{MaxBytes} bytes without '/', ':' or whitespace.", parameterName ?? nameof(name));
        }
    }

    /// <summary>Why the kernel would refuse <paramref name="name"/>, or null when it is valid.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }
        int bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxBytes)
        {
            return $"it is {bytes} bytes long, more than {MaxBytes}";
        }
        if (name is "." or "..")
        {
            return "'.' and '..' are reserved";
        }
        foreach (var c in name)
        {
            if (c is '/' or ':' or '\0' || char.IsWhiteSpace(c))
            {
                return "it contains '/', ':', NUL or whitespace";
            }
        }
        return null;
    }
}
