using System.Net;
using System.Text.Json;
using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.TopologyFiles;

// Topology files (issue 28): what the builder says, as JSON; every problem with its line and path,
// before the kernel is touched; build → save → load → build gives the same description.
public sealed class TopologyFileTests
{
    internal static string SamplePath => Path.Combine(RepositoryRoot(), "samples", "topologies", "two-sites.json");

    [Fact]
    public void The_README_sample_file_validates()
    {
        TopologyBuilder.FromFile(SamplePath).Validate();
    }

    [Fact]
    public void The_README_shows_the_sample_file_as_it_is()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        const string marker = "<!-- sample: samples/topologies/two-sites.json -->\n```jsonc\n";
        int start = readme.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has no sample block");
        start += marker.Length;
        var shown = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
        Assert.Equal(File.ReadAllText(SamplePath), shown);
        TopologyBuilder.FromJson(shown).Validate();
    }

    [Fact]
    public void A_syntax_error_names_the_file_line_and_column()
    {
        var error = Assert.Throws<TopologyValidationException>(() => TopologyBuilder.FromJson("{\n  \"hosts\": [\n    { \"name\": \"a\" }\n    { \"name\": \"b\" }\n  ]\n}"));
        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("json: line 4, column 5", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_member_is_named_with_its_path()
    {
        var error = Assert.Throws<TopologyValidationException>(() => TopologyBuilder.FromJson("{\n  \"hosts\": [ { \"name\": \"a\", \"rooter\": true } ]\n}"));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("line 2", problem, StringComparison.Ordinal);
        Assert.Contains("rooter", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_reference_problem_is_listed_with_its_line_and_path()
    {
        const string json = """
            {
              "hosts": [ { "name": "a" }, { "name": "b" } ],
              "links": [
                { "first": "a", "second": "b" },
                { "first": "a", "second": "c" }
              ],
              "connections": [ { "host": "b", "switch": "lan" } ]
            }
            """;
        var error = Assert.Throws<TopologyValidationException>(() => TopologyBuilder.FromJson(json));
        Assert.Contains(error.Problems, p => p.StartsWith("json: line 5, $.links[1].second: host 'c' is not declared", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("json: line 7, $.connections[0].switch: switch 'lan' is not declared", StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_values_are_each_named()
    {
        const string json = """
            {
              "hosts": [ { "name": "a" }, { "name": "b" } ],
              "links": [ { "first": "a", "second": "b", "impaired": { "aToB": { "delay": "fast", "loss": 2 } } } ],
              "faults": { "cuts": [ { "from": "a", "to": "b", "mode": "explode", "protocol": "sctp" } ], "down": [ "a" ] }
            }
            """;
        var error = Assert.Throws<TopologyValidationException>(() => TopologyBuilder.FromJson(json));
        Assert.Contains(error.Problems, p => p.Contains("$.links[0].impaired.aToB.delay: 'fast' is not a duration", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("$.links[0].impaired.aToB:", StringComparison.Ordinal) && p.Contains("Loss", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("$.faults.cuts[0].mode: 'explode'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("$.faults.cuts[0].protocol: 'sctp'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("$.faults.down[0]: 'a' is not HOST:INTERFACE", StringComparison.Ordinal));
        Assert.All(error.Problems, p => Assert.Matches(@"^json: line \d+, \$", p));
    }

    [Fact]
    public void The_builders_own_problems_point_at_the_element_they_name()
    {
        const string json = """
            {
              "hosts": [ { "name": "a" }, { "name": "b" } ],
              "links": [
                { "first": "a", "second": "b", "mtu": 1000 }
              ]
            }
            """;
        var error = Assert.Throws<TopologyValidationException>(() => TopologyBuilder.FromJson(json));
        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("json: line 4, $.links[0]: ", problem, StringComparison.Ordinal);
        Assert.Contains("MTU 1000", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Durations_read_and_write_in_the_shortest_exact_unit()
    {
        foreach (var (text, value) in new[] { ("50ms", TimeSpan.FromMilliseconds(50)), ("2s", TimeSpan.FromSeconds(2)), ("250us", TimeSpan.FromMicroseconds(250)), ("1.5s", TimeSpan.FromMilliseconds(1500)) })
        {
            Assert.True(TopologyFileWriter.TryParseDuration(text, out var parsed));
            Assert.Equal(value, parsed);
        }
        Assert.Equal("1500ms", TopologyFileWriter.FormatDuration(TimeSpan.FromMilliseconds(1500)));
        Assert.False(TopologyFileWriter.TryParseDuration("50", out _));
    }

    [PrivilegedFact]
    public async Task Build_save_load_build_gives_the_same_description_and_faults()
    {
        await using var first = new TopologyBuilder()
            .AddSwitch("lan", o => o.Mtu = 1400)
            .AddHost("a").Connect("a", "lan")
            .AddHost("b").Connect("b", "lan", o => o.IPv4 = "10.0.1.20/24")
            .AddRouter("r").Connect("r", "lan")
            .AddHost("c").Link("r", "c", o => { o.Mtu = 1300; o.Second.Name = "up0"; })
            .AddRoute("b", "10.9.0.0/16", "r")
            .PreferIPv6()
            .Build();
        first.Cut("a", "b", new CutOptions { OneWay = true });
        first.Isolate("c");
        first["a"].Interfaces[0].SetDown();

        var saved = first.ToJson();
        await using var second = TopologyBuilder.FromJson(saved).Build();

        Assert.Equal(saved, second.ToJson());
        Assert.Equal(first.ActiveCuts, second.ActiveCuts);
        Assert.True(second["a"].Interfaces[0].IsDown);
        Assert.True(second.AreSeparated("c", "r"));
        Assert.Equal(AddressPreference.IPv6First, second.AddressPreference);
        foreach (var host in first.Hosts)
        {
            Assert.Equal(
                host.Interfaces.Select(i => $"{i.Name} {i.IPv4} {i.IPv6} {i.Mtu}"),
                second[host.Name].Interfaces.Select(i => $"{i.Name} {i.IPv4} {i.IPv6} {i.Mtu}"));
        }
        // The kernel's view (ip -j addr inside the rebuilt host), not ours.
        var addresses = IpOracle(second["b"], "addr");
        Assert.Contains("\"10.0.1.20\"", addresses, StringComparison.Ordinal);
        Assert.Contains("\"mtu\":1400", addresses, StringComparison.Ordinal);
        Assert.Contains("10.9.0.0/16", IpOracle(second["b"], "route"), StringComparison.Ordinal);
    }

    [PrivilegedFact(UsesTapDevice = true)]
    public async Task The_sample_file_builds_with_its_names_addresses_seed_and_cut()
    {
        await using var net = TopologyBuilder.FromFile(SamplePath).Build();

        Assert.Equal(IPAddress.Parse("192.168.10.1"), net.AddressOf("r1"));
        Assert.Equal(7UL, net.GetLink("r1", "r2").Forwarder.Seed);
        Assert.Equal(["client -> db tcp dport 5432 reject"], net.ActiveCuts);
        using var saved = JsonDocument.Parse(net.ToJson());
        Assert.Equal("20ms", saved.RootElement.GetProperty("links")[0].GetProperty("impaired").GetProperty("aToB").GetProperty("delay").GetString());
    }

    private static string IpOracle(NetHost host, string what)
    {
        var result = host.ExecAsync("ip", "-j", what).GetAwaiter().GetResult();
        Assert.Equal(0, result.ExitCode);
        return result.StandardOutput;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Isolated.Net.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Isolated.Net.sln not found above " + AppContext.BaseDirectory);
    }
}
