using System.Net.Sockets;
using Isolated.Net;
using static Progress;

// The story the demo tells, in three acts: a healthy cluster, node3 cut off, node3 back. Every request
// starts inside a host of the topology ('client' on the nodes' switch, 'ops' behind router 'r') and has
// a time limit. Each expected effect is a check; the demo fails (exit 1) when one is not observed.
internal sealed class ClusterDemo(Topology topology, IReadOnlyList<string> nodes, string isolated)
{
    private const string Key = "leader";
    private const int LatencySamples = 5;
    // How long a request may take before it counts as unanswered. 1.5 s shows a partition quickly; on a
    // saturated machine (a CI box running other tests beside it) CLUSTER_REQUEST_TIMEOUT_MS gives answers
    // more room, so "answers" never fails for lack of CPU — and "does not answer" still holds, however long.
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(
        int.TryParse(Environment.GetEnvironmentVariable("CLUSTER_REQUEST_TIMEOUT_MS"), out int ms) && ms > 0 ? ms : 1500);

    private static readonly TimeSpan FirstRequestTimeout = RequestTimeout > TimeSpan.FromSeconds(5) ? RequestTimeout : TimeSpan.FromSeconds(5); // JIT, first connection

    private readonly List<(string Check, bool Passed)> _checks = [];
    private readonly Dictionary<(string Path, string Node), Row> _rows = [];

    private enum Phase { Before, Partitioned, Healed }

    public async Task<int> RunAsync()
    {
        using var client = new HostHttpClient(topology["client"]);
        using var ops = new HostHttpClient(topology["ops"]);
        // 'client' calls nodes by host name (their IPv4 addresses); 'ops' calls their IPv6 addresses,
        // routed by 'r' from the other subnet.
        var paths = new (string Name, HostHttpClient Http, Func<string, string> Target)[]
        {
            ("client, IPv4", client, node => node),
            ("ops via r, IPv6", ops, node => $"[{topology.AddressOf(node, AddressFamily.InterNetworkV6)}]"),
        };

        Console.WriteLine();
        Say("1. Healthy cluster");
        await ProbeAllAsync(paths, Phase.Before, FirstRequestTimeout);
        await MeasureLatencyAsync(paths, Phase.Before);
        var firstWrite = await ReplicateAsync(client, "node1");
        Check($"the write '{Key}=node1' is acknowledged by all {nodes.Count} nodes", firstWrite.Count == nodes.Count);
        Check("every node answers both paths before the partition", _rows.Values.All(r => r[Phase.Before]?.Answered == true));

        Console.WriteLine();
        int connectsBefore = client.ConnectionsOpenedTo(isolated);
        Say($"2. Partition: topology.Isolate(\"{isolated}\") drops every packet between {isolated} and the other hosts");
        topology.Isolate(isolated);
        await ProbeAllAsync(paths, Phase.Partitioned, RequestTimeout);
        var stalled = _rows[(paths[0].Name, isolated)][Phase.Partitioned]!;
        bool onOpenConnection = stalled.TimedOut && client.ConnectionsOpenedTo(isolated) == connectsBefore;
        Say($"   client's request to {isolated} went over its open keep-alive connection, which stalled: "
            + (onOpenConnection ? "yes (no new connection was opened, no reset came back)" : "NO"));
        Check($"{isolated} does not answer, on either path, while isolated", paths.All(p => _rows[(p.Name, isolated)][Phase.Partitioned]?.TimedOut == true));
        Check($"the client's established connection to {isolated} stalls (timeout, not reset)", onOpenConnection);
        Check("the other nodes still answer both paths", _rows.Where(r => r.Key.Node != isolated).All(r => r.Value[Phase.Partitioned]?.Answered == true));
        var partitionedWrite = await ReplicateAsync(client, "node2");
        bool quorum = partitionedWrite.Count == nodes.Count - 1 && !partitionedWrite.Contains(isolated);
        Say($"   quorum write: {partitionedWrite.Count}/{nodes.Count} acknowledged, {isolated} missed it" + (quorum ? "; the majority carries on" : ""));
        Check($"the write '{Key}=node2' reaches the majority but not {isolated}", quorum);

        Console.WriteLine();
        Say("3. Heal: topology.Heal() removes the cut");
        topology.Heal();
        int connectsPartitioned = client.ConnectionsOpenedTo(isolated);
        await ProbeAllAsync(paths, Phase.Healed, RequestTimeout);
        if (client.ConnectionsOpenedTo(isolated) == connectsPartitioned)
        {
            // SocketsHttpHandler keeps a connection attempt going when the request that started it is
            // cancelled: the first request after the heal waits for it, until a retransmitted SYN gets through.
            Say($"   client's first request to {isolated} waited for the connect begun during the partition (the request was cancelled, the connect was not) until a retransmitted SYN got through");
        }
        await MeasureLatencyAsync(paths, Phase.Healed);
        Check("every node answers both paths after the heal", _rows.Values.All(r => r[Phase.Healed]?.Answered == true));
        var stale = await client.GetAsync(isolated, $"/kv/{Key}", RequestTimeout);
        Say($"   {isolated} still has {Key}={(stale.Answered ? stale.Detail : stale.ToString())} (stale): read repair writes node2 back");
        var repair = await client.PutAsync(isolated, $"/kv/{Key}", "node2", RequestTimeout);
        var values = await Task.WhenAll(nodes.Select(n => client.GetAsync(n, $"/kv/{Key}", RequestTimeout)));
        Say($"   {Key} on {string.Join(", ", nodes.Select((n, i) => $"{n}={(values[i].Answered ? values[i].Detail : "?")}"))}");
        Check($"{isolated} missed the write while isolated, and catches up by read repair",
            stale is { Answered: true, Detail: "node1" } && repair.Answered && values.All(v => v is { Answered: true, Detail: "node2" }));

        Console.WriteLine();
        PrintSummary(paths.Select(p => p.Name).ToList());
        return _checks.All(c => c.Passed) ? 0 : 1;
    }

    // One GET /health per node and path, all at once (so a partitioned node costs one timeout, not one each).
    private async Task ProbeAllAsync((string Name, HostHttpClient Http, Func<string, string> Target)[] paths, Phase phase, TimeSpan timeout)
    {
        var probes = paths.SelectMany(p => nodes.Select(async node =>
            (p.Name, Node: node, Target: p.Target(node), Outcome: await p.Http.GetAsync(p.Target(node), "/health", timeout)))).ToList();
        foreach (var (path, node, target, outcome) in await Task.WhenAll(probes))
        {
            RowOf(path, node)[phase] = outcome;
            Say($"   {Arrow(path, node),-24} GET http://{target}:{KeyValueNode.Port}/health  {outcome}");
        }
    }

    private async Task MeasureLatencyAsync((string Name, HostHttpClient Http, Func<string, string> Target)[] paths, Phase phase)
    {
        foreach (var (name, http, target) in paths)
        {
            foreach (var node in nodes)
            {
                var samples = new List<double>();
                for (int i = 0; i < LatencySamples; i++)
                {
                    var outcome = await http.GetAsync(target(node), "/health", RequestTimeout);
                    if (outcome.Answered)
                    {
                        samples.Add(outcome.Elapsed.TotalMilliseconds);
                    }
                }
                samples.Sort();
                RowOf(name, node).Latency[phase] = samples.Count == LatencySamples ? samples[LatencySamples / 2] : null;
            }
        }
    }

    // Writes the value to every node at once; returns the nodes that acknowledged it.
    private async Task<List<string>> ReplicateAsync(HostHttpClient client, string value)
    {
        var writes = await Task.WhenAll(nodes.Select(n => client.PutAsync(n, $"/kv/{Key}", value, RequestTimeout)));
        for (int i = 0; i < nodes.Count; i++)
        {
            Say($"   client PUT http://{nodes[i]}:{KeyValueNode.Port}/kv/{Key} = {value}  {(writes[i].Answered ? $"ok in {writes[i].Elapsed.TotalMilliseconds:0.00} ms" : writes[i].ToString())}");
        }
        return [.. nodes.Where((_, i) => writes[i].Answered)];
    }

    // "client, IPv4" -> "client -> node1 (IPv4)"; "ops via r, IPv6" -> "ops -> r -> node1 (IPv6)"
    private static string Arrow(string path, string node)
    {
        var (from, family) = (path[..path.IndexOf(',', StringComparison.Ordinal)], path[(path.IndexOf(',', StringComparison.Ordinal) + 2)..]);
        return $"{from.Replace(" via ", " -> ", StringComparison.Ordinal)} -> {node} ({family})";
    }

    private void Check(string check, bool passed) => _checks.Add((check, passed));

    private Row RowOf(string path, string node) =>
        _rows.TryGetValue((path, node), out var row) ? row : _rows[(path, node)] = new Row();

    private void PrintSummary(List<string> paths)
    {
        Say("Summary (median of 5 requests for latency)");
        Console.WriteLine();
        Console.WriteLine($"  {"path",-20} {"node",-6} {"before",-9} {"isolated " + isolated,-17} {"healed",-9} {"latency before",14} {"latency healed",14}");
        Console.WriteLine($"  {new string('-', 20)} {new string('-', 6)} {new string('-', 9)} {new string('-', 17)} {new string('-', 9)} {new string('-', 14)} {new string('-', 14)}");
        foreach (var path in paths)
        {
            foreach (var node in nodes)
            {
                var row = _rows[(path, node)];
                Console.WriteLine($"  {path,-20} {node,-6} {State(row[Phase.Before]),-9} {State(row[Phase.Partitioned]),-17} {State(row[Phase.Healed]),-9} {Ms(row.Latency[Phase.Before]),14} {Ms(row.Latency[Phase.Healed]),14}");
            }
        }
        Console.WriteLine();
        foreach (var (check, passed) in _checks)
        {
            Console.WriteLine($"  [{(passed ? "PASS" : "FAIL")}] {check}");
        }
        Console.WriteLine();
        int failed = _checks.Count(c => !c.Passed);
        Say(failed == 0
            ? $"All {_checks.Count} checks passed: the partition cut {isolated} off and the heal brought it back."
            : $"{failed} of {_checks.Count} checks FAILED: an expected effect was not observed.");

        static string State(Outcome? outcome) => outcome switch
        {
            { Answered: true } => "reachable",
            { TimedOut: true } => "timeout",
            null => "-",
            _ => "error",
        };

        static string Ms(double? milliseconds) => milliseconds is { } ms ? $"{ms:0.00} ms" : "-";
    }

    private sealed class Row
    {
        private readonly Dictionary<Phase, Outcome?> _outcomes = [];

        public Dictionary<Phase, double?> Latency { get; } = [];

        public Outcome? this[Phase phase]
        {
            get => _outcomes.GetValueOrDefault(phase);
            set => _outcomes[phase] = value;
        }
    }
}
