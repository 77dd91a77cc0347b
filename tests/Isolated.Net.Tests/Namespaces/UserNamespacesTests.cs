using Isolated.Net.Interop;
using Isolated.Net.Namespaces;
using Isolated.Net.Reaping;
using Xunit;

namespace Isolated.Net.Tests.Namespaces;

// Rootless detection and wording, fed texts instead of this machine's /proc: no privilege needed.
public sealed class UserNamespacesTests
{
    [Fact]
    public void The_initial_identity_map_is_recognised()
    {
        var map = UserNamespaces.ParseIdMap("         0          0 4294967295\n");
        Assert.Equal([new IdMapRange(0, 0, uint.MaxValue)], map);
        Assert.True(UserNamespaces.IsInitialMap(map));
    }

    [Theory]
    [InlineData("         0       1000          1\n")]
    [InlineData("0 0 1\n")]
    [InlineData("0 100000 65536\n")]
    [InlineData("0 0 4294967295\n1 2 3\n")]
    [InlineData("")]
    public void Any_other_map_is_a_user_namespace(string text) =>
        Assert.False(UserNamespaces.IsInitialMap(UserNamespaces.ParseIdMap(text)));

    [Fact]
    public void Ids_map_to_the_outer_id_and_malformed_lines_are_skipped()
    {
        var map = UserNamespaces.ParseIdMap("0 65534 1\nnonsense\n1 100000 65536\n-1 2 3\n");
        Assert.Equal(2, map.Count);
        Assert.Equal(65534u, UserNamespaces.OuterId(map, 0));
        Assert.Equal(100004u, UserNamespaces.OuterId(map, 5));
        Assert.Null(UserNamespaces.OuterId(map, 70000));
    }

    [Fact]
    public void Each_blocking_setting_is_named_with_its_value_and_fix()
    {
        static Func<string, string?> Settings(params (string Path, string Value)[] values) =>
            path => values.FirstOrDefault(v => v.Path == path).Value;

        Assert.Null(UserNamespaces.UserNamespaceBlocker(Settings()));
        Assert.Null(UserNamespaces.UserNamespaceBlocker(Settings(("/proc/sys/kernel/unprivileged_userns_clone", "1"), ("/proc/sys/user/max_user_namespaces", "96367"))));
        Assert.Contains("kernel.unprivileged_userns_clone = 0", UserNamespaces.UserNamespaceBlocker(Settings(("/proc/sys/kernel/unprivileged_userns_clone", "0"))), StringComparison.Ordinal);
        Assert.Contains("user.max_user_namespaces = 0", UserNamespaces.UserNamespaceBlocker(Settings(("/proc/sys/user/max_user_namespaces", "0"))), StringComparison.Ordinal);
        Assert.Contains("kernel.apparmor_restrict_unprivileged_userns = 1", UserNamespaces.UserNamespaceBlocker(Settings(("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"))), StringComparison.Ordinal);
    }

    [Fact]
    public void A_privilege_skip_keeps_the_counted_words_and_says_how_to_run_rootless_or_what_blocks_it()
    {
        var rootless = NetworkPrivileges.MissingReasonText(["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], rootlessBlocker: null);
        Assert.StartsWith("requires root or CAP_NET_ADMIN + CAP_SYS_ADMIN (missing CAP_NET_ADMIN + CAP_SYS_ADMIN)", rootless, StringComparison.Ordinal);
        Assert.Contains("isolated-net exec -- dotnet test", rootless, StringComparison.Ordinal);

        var blocked = NetworkPrivileges.MissingReasonText(["CAP_NET_ADMIN"], "user namespaces are disabled (user.max_user_namespaces = 0; ...)");
        Assert.Contains("requires root or CAP_NET_ADMIN", blocked, StringComparison.Ordinal);
        Assert.Contains("rootless mode is unavailable here: user namespaces are disabled (user.max_user_namespaces = 0", blocked, StringComparison.Ordinal);
        Assert.DoesNotContain("isolated-net exec", blocked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2", false, "BPF is denied to this user: kernel.unprivileged_bpf_disabled = 2; run as root; 2 can be lowered to 0")]
    [InlineData("2", true, "BPF is denied to this user namespace (rootless mode): kernel.unprivileged_bpf_disabled = 2;")]
    [InlineData("1", true, "kernel.unprivileged_bpf_disabled = 1; run as root (1 cannot be changed until reboot)")]
    [InlineData(null, false, "kernel.unprivileged_bpf_disabled (unreadable)")]
    public void Bpf_denial_names_the_sysctl_and_its_value(string? value, bool rootless, string expected) =>
        Assert.Contains(expected, UserNamespaces.BpfDeniedExplanation(value, inInitialUserNamespace: !rootless), StringComparison.Ordinal);

    [Fact]
    public void Bpf_EPERM_is_a_denial_not_a_missing_kernel_feature()
    {
        var error = BpfSyscalls.BpfError("loading BPF program 'x' (bpf BPF_PROG_LOAD)", Interop.Interop.EPERM);
        Assert.Equal(Interop.Interop.EPERM, error.Errno);
        Assert.Contains("BPF is denied to this", error.Message, StringComparison.Ordinal);
        Assert.Contains("kernel.unprivileged_bpf_disabled", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("lacks", error.Message, StringComparison.Ordinal);

        var denied = new KernelFeature("cls_bpf", "partitions", error.Message, isDenied: true);
        Assert.True(denied.IsDenied);
        Assert.False(denied.IsAvailable);
        Assert.StartsWith("cls_bpf is denied to this process", denied.SkipReason, StringComparison.Ordinal);
        Assert.StartsWith("cls_bpf: denied", denied.ToString(), StringComparison.Ordinal);

        var missing = new KernelFeature("cls_bpf", "partitions", "EOPNOTSUPP");
        Assert.False(missing.IsDenied);
        Assert.StartsWith("this kernel lacks cls_bpf", missing.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public void State_lives_in_run_for_root_and_in_a_per_user_directory_otherwise()
    {
        Assert.Equal("/run/isolated-net", RunJournal.DefaultDirectoryFor(realRoot: true, "/run/user/1000", 0));
        Assert.Equal("/run/user/1000/isolated-net", RunJournal.DefaultDirectoryFor(realRoot: false, "/run/user/1000/", 1000));
        const string temp = "/tmp/isolated-net-65534";
        Assert.Equal(temp, RunJournal.DefaultDirectoryFor(realRoot: false, null, 65534));
        Assert.Equal(temp, RunJournal.DefaultDirectoryFor(realRoot: false, "relative/dir", 65534));
    }

    [Fact]
    public void This_process_is_described_consistently()
    {
        // As root in CI: the initial namespace, real root. Under isolated-net exec: uid 0 of a user namespace.
        bool initial = UserNamespaces.InInitialUserNamespace;
        Assert.Equal(initial && Tmds.Linux.LibC.geteuid() == 0, UserNamespaces.IsRealRoot);
        Assert.Equal(NetworkPrivileges.AreSufficient && !initial, NetworkPrivileges.IsRootless);
        if (initial)
        {
            Assert.Equal((uint)Tmds.Linux.LibC.geteuid(), UserNamespaces.OuterUid);
            Assert.True(UserNamespaces.OwnsCurrentNetworkNamespace);
        }
    }
}
