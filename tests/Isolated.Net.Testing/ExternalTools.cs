namespace Isolated.Net.Testing;

/// <summary>
/// Programs the tests run (never the library): where one is missing, the tests that need it skip with a
/// reason naming the Debian/Ubuntu package. CI installs them all, and `.ci/run` fails on any such skip
/// (it looks for <see cref="SkipMarker"/>).
/// </summary>
public static class ExternalTools
{
    /// <summary>Part of every skip reason for a missing program, so CI can tell these skips apart.</summary>
    public const string SkipMarker = "(Debian/Ubuntu: apt-get install";

    /// <summary>
    /// Part of every skip reason for a feature rootless mode (<c>isolated-net exec</c>) cannot have, such
    /// as a link into the machine's own network namespace. `.ci/run` lists these skips of its rootless run
    /// and does not count them as privilege skips.
    /// </summary>
    public const string RootlessSkipMarker = "not available rootless:";

    /// <summary>Why tests of the BPF fault mechanism (BPF partitions, in-kernel loss) cannot run rootless.</summary>
    public const string BpfFaultsNotRootless =
        "the BPF fault mechanism (BPF partitions, in-kernel loss) needs bpf(2), which is denied in a user namespace (tc programs need CAP_BPF in the machine's own user namespace)";

    /// <summary>The skip reason for a test that cannot run rootless, or null when this run is not rootless.</summary>
    public static string? RootlessSkipReason(string? why) =>
        why is not null && NetworkPrivileges.IsRootless ? $"{RootlessSkipMarker} {why}" : null;

    /// <summary>
    /// Rootless, the TAP devices of the impaired link need /dev/net/tun open to this user (0666 on most
    /// distributions, 0600 in some containers): the skip reason when it is not, else null.
    /// </summary>
    public static string? TapDeviceRootlessSkipReason()
    {
        if (!NetworkPrivileges.IsRootless)
        {
            return null;
        }
        try
        {
            using var tun = File.OpenHandle("/dev/net/tun", FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            string mode;
            try
            {
                mode = Convert.ToString((int)File.GetUnixFileMode("/dev/net/tun"), 8);
            }
            catch (Exception inner) when (inner is IOException or UnauthorizedAccessException)
            {
                mode = "unknown";
            }
            return $"{RootlessSkipMarker} the impaired link's TAP devices need /dev/net/tun, which is mode {mode} here, not open to this user (most distributions make it 0666)";
        }
    }

    /// <summary>The privileged tests read the kernel back through these (the <see cref="Oracle"/>).</summary>
    public const string OracleTools = "ip tc nsenter";

    private static readonly Dictionary<string, string> PackageOf = new(StringComparer.Ordinal)
    {
        ["ip"] = "iproute2",
        ["tc"] = "iproute2",
        ["nsenter"] = "util-linux",
        ["setpriv"] = "util-linux",
        ["unshare"] = "util-linux",
        ["capsh"] = "libcap2-bin",
        ["socat"] = "socat",
        ["curl"] = "curl",
        ["python3"] = "python3",
        ["tshark"] = "tshark",
        ["nft"] = "nftables",
        ["sh"] = "dash",
        ["getent"] = "libc-bin",
        ["redis-server"] = "redis-server",
        ["redis-cli"] = "redis-tools",
    };

    // Where programs are looked for: PATH, then the sbin directories a non-root PATH may lack.
    private static readonly string[] Directories = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin"])
        .Distinct()
        .ToArray();

    /// <summary>PATH with the sbin directories added: what the oracle's programs are run with.</summary>
    public static string SearchPath => string.Join(':', Directories);

    /// <summary>The full path of PROGRAM, or null when it is not installed.</summary>
    public static string? Find(string program) =>
        Directories.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Why a privileged test that runs <paramref name="programs"/> (besides the oracle's) cannot run here; null when it can.</summary>
    public static string? PrivilegedSkipReason(string? programs, string? notRootless = null, bool usesTapDevice = false) =>
        NetworkPrivileges.SkipReason ?? RootlessSkipReason(notRootless) ?? (usesTapDevice ? TapDeviceRootlessSkipReason() : null) ?? SkipReason(OracleTools + " " + programs);

    /// <summary>
    /// Null when every program in <paramref name="programs"/> (separated by spaces) is installed; otherwise
    /// the skip reason, naming the missing ones and the packages that bring them.
    /// </summary>
    public static string? SkipReason(string? programs)
    {
        var missing = (programs ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct().Where(p => Find(p) is null).ToList();
        if (missing.Count == 0)
        {
            return null;
        }
        var packages = missing.Select(p => PackageOf.TryGetValue(p, out var package) ? package : p).Distinct();
        return $"requires {string.Join(", ", missing)}, not installed {SkipMarker} {string.Join(' ', packages)})";
    }
}
