using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Diagnostics;

/// <summary>
/// A privileged fact that also reads captures back with tshark. Without tshark it is skipped with the
/// reason, unless ISOLATED_NET_REQUIRE_PRIVILEGES=1 (CI), where it runs and fails naming the missing tool.
/// </summary>
public sealed class TsharkFactAttribute : FactAttribute
{
    public TsharkFactAttribute()
    {
        Skip = NetworkPrivileges.SkipReason
            ?? (Tshark.IsInstalled || NetworkPrivileges.AreRequired ? null : "requires tshark (apt-get install tshark) to read the capture back");
    }
}

internal static class Tshark
{
    public static bool IsInstalled { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(dir => File.Exists(Path.Combine(dir, "tshark")));
}
