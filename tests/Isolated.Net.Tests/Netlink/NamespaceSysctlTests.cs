using Isolated.Net.Namespaces;
using Isolated.Net.Netlink;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Netlink;

public class NamespaceSysctlTests
{
    [Theory]
    [InlineData("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward")]
    [InlineData("net/ipv4/ip_forward", "/proc/sys/net/ipv4/ip_forward")]
    [InlineData("net/ipv6/conf/eth0.5/accept_dad", "/proc/sys/net/ipv6/conf/eth0.5/accept_dad")]
    public void Keys_map_under_proc_sys_net(string key, string path) => Assert.Equal(path, NamespaceSysctl.PathOf(key));

    [Theory]
    [InlineData("kernel.hostname")] // global: writing it from a namespace would change the host
    [InlineData("vm/swappiness")]
    [InlineData("net")]
    [InlineData("net/../kernel/hostname")]
    [InlineData("net//ipv4")]
    [InlineData("/net/ipv4/ip_forward")]
    public void Keys_outside_net_or_malformed_are_refused(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => NamespaceSysctl.PathOf(key));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Writes_land_in_the_namespace_only()
    {
        var rootBefore = File.ReadAllText("/proc/sys/net/ipv4/ip_forward"); // this thread is in the root namespace
        using var ns = NetworkNamespace.Create();
        var wanted = rootBefore.Trim() == "1" ? "0" : "1";
        NamespaceSysctl.Write(ns, "net.ipv4.ip_forward", wanted);
        NamespaceSysctl.Write(ns, "net/ipv6/conf/all/forwarding", "1");

        Assert.Equal(wanted, NamespaceSysctl.Read(ns, "net/ipv4/ip_forward"));
        Assert.Equal(wanted, Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "cat", "/proc/sys/net/ipv4/ip_forward").Stdout.Trim());
        Assert.Equal("1", Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "cat", "/proc/sys/net/ipv6/conf/all/forwarding").Stdout.Trim());
        Assert.Equal(rootBefore, File.ReadAllText("/proc/sys/net/ipv4/ip_forward"));
    }

    [PrivilegedFact]
    public void Per_interface_keys_follow_the_namespaces_links()
    {
        using var ns = NetworkNamespace.Create();
        using var netlink = RouteNetlinkSocket.Open(ns);
        netlink.CreateVethPair(new VethEnd("va"), new VethEnd("vb"));
        NamespaceSysctl.Write(ns, "net/ipv6/conf/va/accept_dad", "0");
        NamespaceSysctl.Write(ns, "net/ipv6/conf/vb/disable_ipv6", "1");
        Assert.Equal("0", NamespaceSysctl.Read(ns, "net/ipv6/conf/va/accept_dad"));
        Assert.Equal("1", NamespaceSysctl.Read(ns, "net.ipv6.conf.vb.disable_ipv6"));
        Assert.False(File.Exists("/proc/sys/net/ipv6/conf/va/accept_dad")); // not in the root namespace
    }

    [PrivilegedFact]
    public void Unknown_keys_and_bad_values_say_what_failed()
    {
        using var ns = NetworkNamespace.Create();
        var missing = Assert.Throws<NetworkOperationException>(() => NamespaceSysctl.Write(ns, "net/ipv6/conf/nope0/accept_dad", "0"));
        Assert.Equal("ENOENT", missing.ErrnoName);
        Assert.StartsWith("setting sysctl net/ipv6/conf/nope0/accept_dad=0 in netns", missing.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<NetworkOperationException>(() => NamespaceSysctl.Write(ns, "net/ipv4/ip_forward", "banana"));
        Assert.Equal("EINVAL", bad.ErrnoName);
        Assert.Throws<NetworkOperationException>(() => NamespaceSysctl.Read(ns, "net/ipv4/no_such_key"));
    }
}
