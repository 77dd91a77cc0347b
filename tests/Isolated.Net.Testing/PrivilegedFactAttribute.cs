using Xunit;

namespace Isolated.Net.Testing;

/// <summary>
/// A fact that needs CAP_NET_ADMIN + CAP_SYS_ADMIN, iproute2 and nsenter (the <see cref="Oracle"/>), and
/// any other program named in <see cref="Tools"/>. Unprivileged it is skipped with the reason; under
/// ISOLATED_NET_REQUIRE_PRIVILEGES=1 (CI as root) it runs, and <see cref="IsolationChecksAttribute"/>
/// fails it if privileges are missing. A missing program skips it with the package to install, which
/// `.ci/run` counts as a failure.
/// </summary>
public sealed class PrivilegedFactAttribute : FactAttribute
{
    private string? _skip;

    /// <summary>Programs the test runs besides the oracle's, separated by spaces: "socat curl".</summary>
    public string? Tools { get; set; }

    /// <summary>
    /// Why the test cannot run rootless (under <c>isolated-net exec</c>), e.g. "a root link changes the
    /// machine's own network namespace"; there it is skipped with this reason. Null: it runs rootless too.
    /// </summary>
    public string? NotRootless { get; set; }

    /// <summary>True when the test makes TAP devices (the impaired link): rootless it needs /dev/net/tun open to the user.</summary>
    public bool UsesTapDevice { get; set; }

    /// <inheritdoc />
    public override string? Skip
    {
        get => _skip ?? ExternalTools.PrivilegedSkipReason(Tools, NotRootless, UsesTapDevice);
        set => _skip = value;
    }
}

/// <summary>The theory counterpart of <see cref="PrivilegedFactAttribute"/>.</summary>
public sealed class PrivilegedTheoryAttribute : TheoryAttribute
{
    private string? _skip;

    /// <summary>Programs the test runs besides the oracle's, separated by spaces.</summary>
    public string? Tools { get; set; }

    /// <summary>Why the test cannot run rootless; see <see cref="PrivilegedFactAttribute.NotRootless"/>.</summary>
    public string? NotRootless { get; set; }

    /// <summary>True when the test makes TAP devices (the impaired link): rootless it needs /dev/net/tun open to the user.</summary>
    public bool UsesTapDevice { get; set; }

    /// <inheritdoc />
    public override string? Skip
    {
        get => _skip ?? ExternalTools.PrivilegedSkipReason(Tools, NotRootless, UsesTapDevice);
        set => _skip = value;
    }
}

/// <summary>A fact that needs no privilege but runs the programs named in <see cref="Tools"/>.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    private string? _skip;

    /// <summary>Programs the test runs, separated by spaces.</summary>
    public string? Tools { get; set; }

    /// <inheritdoc />
    public override string? Skip
    {
        get => _skip ?? ExternalTools.SkipReason(Tools);
        set => _skip = value;
    }
}
