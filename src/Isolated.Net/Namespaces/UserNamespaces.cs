using System.Globalization;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Namespaces;

/// <summary>One line of /proc/PID/uid_map or gid_map: <c>inside outside count</c>.</summary>
internal readonly record struct IdMapRange(uint Inside, uint Outside, uint Count);

// Rootless mode: which user namespace this process lives in, and whether an unprivileged user could
// make one (`isolated-net exec`). The parsing and the wording take their inputs as arguments, so unit
// tests feed them texts instead of this machine's files.
internal static unsafe class UserNamespaces
{
    public const string ExecCommand = "isolated-net exec -- dotnet test";

    // NS_GET_USERNS = _IO(0xb7, 0x1): an fd for the user namespace that owns a namespace.
    private const int NS_GET_USERNS = 0xb701;

    /// <summary>Parses a uid_map/gid_map text; malformed lines are skipped.</summary>
    public static IReadOnlyList<IdMapRange> ParseIdMap(string text)
    {
        var ranges = new List<IdMapRange>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 3
                && uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint inside)
                && uint.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint outside)
                && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint count))
            {
                ranges.Add(new IdMapRange(inside, outside, count));
            }
        }
        return ranges;
    }

    /// <summary>
    /// True for the initial user namespace's identity map, <c>0 0 4294967295</c>: there uid 0 is the
    /// machine's root. Any other map (such as isolated-net exec's <c>0 1000 1</c>) is a user namespace.
    /// </summary>
    public static bool IsInitialMap(IReadOnlyList<IdMapRange> map) =>
        map.Count == 1 && map[0] is { Inside: 0, Outside: 0, Count: uint.MaxValue };

    /// <summary>The outer id that <paramref name="inside"/> stands for one level up, or null if unmapped.</summary>
    public static uint? OuterId(IReadOnlyList<IdMapRange> map, uint inside)
    {
        foreach (var range in map)
        {
            if (inside >= range.Inside && inside - range.Inside < range.Count)
            {
                return range.Outside + (inside - range.Inside);
            }
        }
        return null;
    }

    /// <summary>This process's uid map (the initial identity map when it cannot be read).</summary>
    public static IReadOnlyList<IdMapRange> CurrentUidMap => ParseIdMap(ReadProc("/proc/self/uid_map") ?? "0 0 4294967295");

    /// <summary>True when this process lives in the initial user namespace.</summary>
    public static bool InInitialUserNamespace => IsInitialMap(CurrentUidMap);

    /// <summary>True when this process is the machine's root: euid 0 in the initial user namespace.</summary>
    public static bool IsRealRoot => LibC.geteuid() == 0 && InInitialUserNamespace;

    /// <summary>
    /// The uid this process has one user namespace up (its uid as `isolated-net exec`'s caller), so
    /// state paths agree inside and outside the exec; the effective uid when not in a user namespace.
    /// </summary>
    public static uint OuterUid
    {
        get
        {
            uint euid = LibC.geteuid();
            var map = CurrentUidMap;
            return IsInitialMap(map) ? euid : OuterId(map, euid) ?? euid;
        }
    }

    /// <summary>
    /// True when the user namespace that owns this thread's network namespace is the process's own
    /// user namespace, so the process's capabilities apply to it. False for the machine's network namespace seen from `isolated-net exec`.
    /// </summary>
    public static bool OwnsCurrentNetworkNamespace => OwnsNetworkNamespace("/proc/thread-self/ns/net");

    /// <summary>As <see cref="OwnsCurrentNetworkNamespace"/>, for the network namespace at an nsfs path.</summary>
    public static bool OwnsNetworkNamespace(string path)
    {
        {
            int netns = Open(path, LibC.O_RDONLY);
            if (netns < 0)
            {
                return InInitialUserNamespace;
            }
            try
            {
                int owner = LibC.ioctl(netns, NS_GET_USERNS, null);
                if (owner < 0)
                {
                    return InInitialUserNamespace; // EPERM: the owner is above our namespace
                }
                try
                {
                    stat ownerStat;
                    stat selfStat;
                    int self = Open("/proc/self/ns/user", LibC.O_RDONLY);
                    if (self < 0)
                    {
                        return false;
                    }
                    try
                    {
                        return LibC.fstat(owner, &ownerStat) == 0 && LibC.fstat(self, &selfStat) == 0
                            && ownerStat.st_ino == selfStat.st_ino && ownerStat.st_dev == selfStat.st_dev;
                    }
                    finally
                    {
                        _ = LibC.close(self);
                    }
                }
                finally
                {
                    _ = LibC.close(owner);
                }
            }
            finally
            {
                _ = LibC.close(netns);
            }
        }
    }

    /// <summary>
    /// Throws when rootless mode cannot change the machine's network namespace (the one this process
    /// started in), naming <paramref name="what"/> and the way out.
    /// </summary>
    public static void EnsureProcessNetworkNamespaceIsOurs(string what)
    {
        if (!InInitialUserNamespace && !OwnsNetworkNamespace("/proc/self/ns/net"))
        {
            throw new NotSupportedException(
                $"{what} is not available rootless: it changes the network namespace this process started in, which belongs to the machine, "
                + "not to the user namespace of `isolated-net exec`. Run as root, or run under `isolated-net exec --net`, which gives the process a network namespace of its own.");
        }
    }

    /// <summary>
    /// Why an unprivileged user cannot create a user namespace here, naming the setting; null when the
    /// settings allow it. <paramref name="readSetting"/> returns a /proc/sys file's trimmed text, or
    /// null when the file does not exist.
    /// </summary>
    public static string? UserNamespaceBlocker(Func<string, string?> readSetting)
    {
        // Debian/Ubuntu kernels before 6.x: 0 means only root may create user namespaces.
        if (readSetting("/proc/sys/kernel/unprivileged_userns_clone") is "0")
        {
            return "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0; enable with `sysctl kernel.unprivileged_userns_clone=1`)";
        }
        if (readSetting("/proc/sys/user/max_user_namespaces") is "0")
        {
            return "user namespaces are disabled (user.max_user_namespaces = 0; enable with `sysctl user.max_user_namespaces=28633`)";
        }
        if (readSetting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") is "1")
        {
            return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1; "
                + "allow them with `sysctl kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile granting `userns` to dotnet)";
        }
        return null;
    }

    /// <summary>The sentence appended to a privilege skip when unprivileged: how to run rootless, or what blocks it.</summary>
    public static string RootlessAdvice(string? blocker) => blocker is null
        ? $"or run rootless in a user namespace: `{ExecCommand} ...`"
        : $"rootless mode is unavailable here: {blocker}";

    /// <summary>The value of kernel.unprivileged_bpf_disabled, or null when unreadable.</summary>
    public static string? UnprivilegedBpfDisabled => ReadProc("/proc/sys/kernel/unprivileged_bpf_disabled");

    /// <summary>
    /// What bpf(2) refusing with EPERM/EACCES means: in a user namespace (or as a non-root user) the
    /// kernel allows BPF programs only to CAP_BPF/CAP_SYS_ADMIN in the initial user namespace when
    /// kernel.unprivileged_bpf_disabled is 1 or 2.
    /// </summary>
    public static string BpfDeniedExplanation(string? unprivilegedBpfDisabled, bool inInitialUserNamespace)
    {
        var setting = unprivilegedBpfDisabled is null ? "kernel.unprivileged_bpf_disabled (unreadable)" : $"kernel.unprivileged_bpf_disabled = {unprivilegedBpfDisabled}";
        var who = inInitialUserNamespace ? "this user" : "this user namespace (rootless mode)";
        var fix = unprivilegedBpfDisabled switch
        {
            "2" => "run as root; 2 can be lowered to 0 with `sysctl kernel.unprivileged_bpf_disabled=0` (1 is permanent until reboot)",
            "1" => "run as root (1 cannot be changed until reboot)",
            _ => "run as root",
        };
        return $"BPF is denied to {who}: {setting}; {fix}";
    }

    /// <summary>A /proc file's trimmed text, or null when it does not exist or cannot be read.</summary>
    public static string? ReadProc(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
