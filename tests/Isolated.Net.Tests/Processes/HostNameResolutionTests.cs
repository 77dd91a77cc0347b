using System.Net;
using System.Net.Sockets;
using Isolated.Net.Namespaces;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Processes;

// Issue 27: topology names must work for programs that connect to the first address getaddrinfo
// returns (redis replication, redis-cli), so inside hosts and in-process the order is the topology's.
public sealed class HostNameResolutionTests
{
    private static TopologyBuilder TwoHosts(AddressPreference preference) => new TopologyBuilder()
        .WithAddressPreference(preference)
        .AddSwitch("lan")
        .AddHost("primary").Connect("primary", "lan")
        .AddHost("replica").Connect("replica", "lan");

    [PrivilegedTheory(Tools = "getent")]
    [InlineData(AddressPreference.IPv4First, AddressFamily.InterNetwork)]
    [InlineData(AddressPreference.IPv6First, AddressFamily.InterNetworkV6)]
    public async Task Getaddrinfo_inside_a_host_and_ResolveAsync_list_the_preferred_family_first(AddressPreference preference, AddressFamily first)
    {
        await using var net = TwoHosts(preference).Build();
        var replica = net["replica"];

        var inside = await AhostsAsync(replica, "primary");
        var inProcess = await replica.ResolveAsync("primary");

        Assert.Equal(net.AddressOf("primary", first), inside[0]);
        Assert.Equal(inside, inProcess);
        Assert.Equal([net.AddressOf("primary", AddressFamily.InterNetwork)], await AhostsAsync(replica, "primary.ipv4"));
        Assert.Equal([net.AddressOf("primary", AddressFamily.InterNetworkV6)], await AhostsAsync(replica, "primary.ipv6"));
        Assert.Equal([net.AddressOf("primary", AddressFamily.InterNetworkV6)], await replica.ResolveAsync("primary.ipv6"));
        Assert.Equal(net.AddressOf("primary", first), replica.Resolve("primary"));
        Assert.Equal(preference, net.AddressPreference);
    }

    [PrivilegedFact(Tools = "getent")]
    public async Task The_machine_gai_conf_is_untouched()
    {
        var before = await File.ReadAllTextAsync("/etc/gai.conf");
        await using var net = TwoHosts(AddressPreference.IPv4First).Build();
        var inside = (await net["replica"].ExecAsync("cat", "/etc/gai.conf")).StandardOutput;

        Assert.Contains("precedence ::ffff:0:0/96 100", inside, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync("/etc/gai.conf"));
        Assert.DoesNotContain("/etc/gai.conf", await File.ReadAllTextAsync("/proc/self/mountinfo"), StringComparison.Ordinal);
    }

    // redis binds 0.0.0.0 as IPv4 only and :: with IPV6_V6ONLY, and replication connects to the first
    // address only: the replica syncs by name exactly when the order is right. redis-cli (hiredis) asks
    // getaddrinfo for IPv4 alone whatever the order, so it needs the per-family name for an IPv6-only server.

    [PrivilegedTheory(Tools = "redis-server redis-cli")]
    [InlineData(AddressPreference.IPv4First, "0.0.0.0")]
    [InlineData(AddressPreference.IPv6First, "::")]
    public async Task A_redis_replica_syncs_by_name_with_a_primary_bound_to_one_family(AddressPreference preference, string bind)
    {
        await using var net = TwoHosts(preference).Build();
        var suffix = bind == "::" ? ".ipv6" : "";
        var dir = Directory.CreateTempSubdirectory("isolated-net-redis-");
        try
        {
            await using var primary = net["primary"].StartProcess(Redis(dir.FullName, "primary", bind));
            await primary.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(30));
            await using var replica = net["replica"].StartProcess(Redis(dir.FullName, "replica", bind, "--replicaof", "primary", "6379"));

            await replica.WaitForOutputAsync("MASTER <-> REPLICA sync: Finished with success", TimeSpan.FromSeconds(60));
            var set = await net["replica"].ExecAsync("redis-cli", "-h", "primary" + suffix, "set", "greeting", "hello");
            Assert.True(set.StandardOutput == "OK\n", $"redis-cli -h primary{suffix} set: {set.ExitCode} {set.StandardOutput}{set.StandardError}");
            Assert.Equal("hello\n", await ReplicatedValueAsync(net["primary"], "replica" + suffix, "greeting"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [PrivilegedTheory]
    [InlineData(AddressPreference.IPv4First, AddressFamily.InterNetwork)]
    [InlineData(AddressPreference.IPv4First, AddressFamily.InterNetworkV6)]
    [InlineData(AddressPreference.IPv6First, AddressFamily.InterNetwork)]
    [InlineData(AddressPreference.IPv6First, AddressFamily.InterNetworkV6)]
    public async Task ConnectTcpAsync_by_name_reaches_a_listener_on_either_family_alone(AddressPreference preference, AddressFamily listening)
    {
        await using var net = TwoHosts(preference).Build();
        var address = net.AddressOf("primary", listening);
        using var listener = net["primary"].Listen(new IPEndPoint(address, 7000));
        var accepted = listener.AcceptAsync();

        using var client = await net["replica"].ConnectTcpAsync("primary", 7000);
        using var server = await accepted;

        Assert.Equal(address, ((IPEndPoint)client.RemoteEndPoint!).Address);
        Assert.Equal(net.AddressOf("replica", listening), ((IPEndPoint)server.RemoteEndPoint!).Address);
    }

    // The preferred address neither answers nor fails (its next hop never answers ARP/ND, so the connect
    // hangs for seconds): the other family is started on the attempt timer and wins.
    [PrivilegedTheory(Tools = "ip nsenter")]
    [InlineData(AddressPreference.IPv4First, "10.0.1.99", AddressFamily.InterNetworkV6)]
    [InlineData(AddressPreference.IPv6First, "fd7a:15e:0:1::99", AddressFamily.InterNetwork)]
    public async Task ConnectTcpAsync_starts_the_other_family_while_the_preferred_address_hangs(AddressPreference preference, string silentGateway, AddressFamily winner)
    {
        await using var net = TwoHosts(preference).Build();
        var preferred = net["replica"].Resolve("primary");
        var (code, _, stderr) = Oracle.Exec("nsenter", "--net=" + net["replica"].Namespace.ProcPath,
            "ip", "route", "add", preferred + (preferred.AddressFamily == AddressFamily.InterNetwork ? "/32" : "/128"), "via", silentGateway, "dev", "eth0");
        Assert.True(code == 0, stderr);
        using var listener = net["primary"].Listen(new IPEndPoint(IPAddress.IPv6Any, 7000));

        using var client = await net["replica"].ConnectTcpAsync("primary", 7000);

        Assert.Equal(net.AddressOf("primary", winner), ((IPEndPoint)client.RemoteEndPoint!).Address);
    }

    [PrivilegedFact]
    public async Task A_per_family_name_connects_only_over_that_family()
    {
        await using var net = TwoHosts(AddressPreference.IPv4First).Build();
        using var listener = net["primary"].Listen(new IPEndPoint(net.AddressOf("primary", AddressFamily.InterNetwork), 7000));

        var refused = await Assert.ThrowsAsync<SocketException>(() => net["replica"].ConnectTcpAsync("primary.ipv6", 7000));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        using var client = await net["replica"].ConnectTcpAsync("primary.ipv4", 7000);
        Assert.Equal(AddressFamily.InterNetwork, client.RemoteEndPoint!.AddressFamily);
    }

    [Fact]
    public void Families_alternate_from_the_first_address_family()
    {
        IPAddress[] addresses = [IPAddress.Parse("10.0.1.1"), IPAddress.Parse("10.0.2.1"), IPAddress.Parse("fd7a::1"), IPAddress.Parse("fd7a::2"), IPAddress.Parse("fd7a::3")];
        Assert.Equal(["10.0.1.1", "fd7a::1", "10.0.2.1", "fd7a::2", "fd7a::3"], HappyEyeballs.Interleave(addresses).Select(a => a.ToString()));
    }

    [Fact]
    public void Bad_preferences_and_reserved_names_are_rejected_before_the_kernel_is_touched()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopologyBuilder().WithAddressPreference((AddressPreference)7));
        var error = Assert.Throws<TopologyValidationException>(new TopologyBuilder().AddHost("db.ipv4").Validate);
        Assert.Contains("reserved", error.Message, StringComparison.Ordinal);
    }

    private static async Task<IPAddress[]> AhostsAsync(NetHost host, string name)
    {
        var result = await host.ExecAsync("getent", "ahosts", name);
        Assert.True(result.ExitCode == 0, $"getent ahosts {name} failed ({result.ExitCode}): {result.StandardError}");
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => IPAddress.Parse(line.Split(' ', 2)[0]))
            .Distinct()];
    }

    private static HostProcessOptions Redis(string dir, string name, string bind, params string[] more)
    {
        var options = new HostProcessOptions("redis-server");
        var work = Directory.CreateDirectory(Path.Combine(dir, name)).FullName;
        foreach (var argument in (string[])["--port", "6379", "--bind", bind, "--dir", work, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no", .. more])
        {
            options.Arguments.Add(argument);
        }
        return options;
    }

    // The value reached the replica: read it there by name, from the primary's host (replication is asynchronous, so poll).
    private static async Task<string> ReplicatedValueAsync(NetHost from, string replica, string key)
    {
        string value = "";
        for (int attempt = 0; attempt < 100 && value != "hello\n"; attempt++)
        {
            value = (await from.ExecAsync("redis-cli", "-h", replica, "get", key)).StandardOutput;
            if (value != "hello\n")
            {
                await Task.Delay(100);
            }
        }
        return value;
    }
}
