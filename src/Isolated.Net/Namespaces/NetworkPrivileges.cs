using System.Globalization;
using System.Runtime.Versioning;

namespace Isolated.Net;

/// <summary>
/// Whether this process may create network namespaces and configure them: it needs CAP_NET_ADMIN and
/// CAP_SYS_ADMIN (root has both). Test adapters skip privileged tests with <see cref="Requirement"/> as
/// the reason, or fail them when <see cref="AreRequired"/> is set (CI running as root).
/// </summary>
[SupportedOSPlatform("linux")]
public static class NetworkPrivileges
{
    /// <summary>The environment variable that turns a privilege skip into a failure: set it to 1 in CI.</summary>
    public const string RequireVariable = "ISOLATED_NET_REQUIRE_PRIVILEGES";

    /// <summary>The sentence every skip and privilege error carries.</summary>
    public const string Requirement = "requires root or CAP_NET_ADMIN + CAP_SYS_ADMIN";

    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;

    /// <summary>True when the effective capability set holds CAP_NET_ADMIN.</summary>
    public static bool HasNetAdmin => HasCapability(CapNetAdmin);

    /// <summary>True when the effective capability set holds CAP_SYS_ADMIN.</summary>
    public static bool HasSysAdmin => HasCapability(CapSysAdmin);

    /// <summary>True when both capabilities are effective, so namespaces can be created and entered.</summary>
    public static bool AreSufficient => OperatingSystem.IsLinux() && HasNetAdmin && HasSysAdmin;

    /// <summary>
    /// True when the privileges come from a user namespace rather than from the machine's root: the
    /// process runs under <c>isolated-net exec</c> (rootless mode), where BPF, and links into the
    /// machine's own network namespace, are denied.
    /// </summary>
    public static bool IsRootless => AreSufficient && !Namespaces.UserNamespaces.InInitialUserNamespace;

    /// <summary>
    /// When privileges are missing: null if this user could run rootless (<c>isolated-net exec -- dotnet test</c>),
    /// else which setting blocks unprivileged user namespaces (e.g. kernel.unprivileged_userns_clone = 0).
    /// </summary>
    public static string? RootlessBlocker => Namespaces.UserNamespaces.UserNamespaceBlocker(Namespaces.UserNamespaces.ReadProc);

    /// <summary>True when <c>ISOLATED_NET_REQUIRE_PRIVILEGES=1</c>: a privilege skip must fail instead.</summary>
    public static bool AreRequired => Environment.GetEnvironmentVariable(RequireVariable) is "1" or "true" or "True";

    /// <summary>
    /// Why privileged work cannot run here, naming the missing capabilities; null when it can.
    /// </summary>
    public static string? MissingReason
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return $"{Requirement}: network namespaces exist only on Linux";
            }
            var missing = new List<string>(2);
            if (!HasNetAdmin)
            {
                missing.Add("CAP_NET_ADMIN");
            }
            if (!HasSysAdmin)
            {
                missing.Add("CAP_SYS_ADMIN");
            }
            return missing.Count == 0 ? null : MissingReasonText(missing, RootlessBlocker);
        }
    }

    /// <summary>
    /// The reason to skip a privileged test, or null to run it. Returns null when privileges are
    /// sufficient, and also when <see cref="AreRequired"/> is set, so the test runs and fails loudly.
    /// </summary>
    public static string? SkipReason => AreRequired ? null : MissingReason;

    // "requires root or CAP_NET_ADMIN + CAP_SYS_ADMIN (missing CAP_NET_ADMIN); or run rootless ...": the
    // first words stay as they were, CI counts privilege skips by them.
    internal static string MissingReasonText(IReadOnlyList<string> missing, string? rootlessBlocker) =>
        $"{Requirement} (missing {string.Join(" + ", missing)}); {Namespaces.UserNamespaces.RootlessAdvice(rootlessBlocker)}";

    /// <summary>Throws <see cref="InvalidOperationException"/> with the reason when privileges are missing.</summary>
    public static void EnsureSufficient()
    {
        var reason = MissingReason;
        if (reason is not null)
        {
            throw new InvalidOperationException($"Isolated.Net {reason}. Run the tests as root (sudo), grant the test host both capabilities, or run them rootless through `isolated-net exec -- dotnet test`.");
        }
    }

    private static bool HasCapability(int bit)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                {
                    var mask = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    return (mask & (1UL << bit)) != 0;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return false;
    }
}
