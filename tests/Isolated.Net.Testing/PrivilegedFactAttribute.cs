using Xunit;

namespace Isolated.Net.Testing;

/// <summary>
/// A fact that needs CAP_NET_ADMIN + CAP_SYS_ADMIN. Unprivileged it is skipped with the reason; under
/// ISOLATED_NET_REQUIRE_PRIVILEGES=1 (CI as root) it runs, and <see cref="IsolationChecksAttribute"/>
/// fails it if privileges are missing.
/// </summary>
public sealed class PrivilegedFactAttribute : FactAttribute
{
    public PrivilegedFactAttribute()
    {
        Skip = NetworkPrivileges.SkipReason;
    }
}

/// <summary>The theory counterpart of <see cref="PrivilegedFactAttribute"/>.</summary>
public sealed class PrivilegedTheoryAttribute : TheoryAttribute
{
    public PrivilegedTheoryAttribute()
    {
        Skip = NetworkPrivileges.SkipReason;
    }
}
