// Isolated.Net's main demo: a three-node key/value cluster on an isolated network, partitioned and healed.
//
//   node1  node2  node3  client        ops
//     |      |      |      |            |
//   ----------- lan ------------- r ---- mgmt ----      (r routes between the two subnets)
//
// Each node runs an ASP.NET Core minimal API on Kestrel, listening inside its own network namespace.
// Nothing listens or connects in the root namespace, and everything is gone when the program exits.
// Exit codes: 0 every expected effect was seen, 1 one was not, 2 missing privileges, 3 kernel lacks a feature.
using System.Diagnostics;
using Isolated.Net;
using static Progress;

if (!NetworkPrivileges.AreSufficient)
{
    Console.Error.WriteLine($"This demo creates network namespaces, and Isolated.Net {NetworkPrivileges.MissingReason}.");
    Console.Error.WriteLine("Run it with sudo:  sudo dotnet run --project samples/Isolated.Net.Samples.Cluster");
    return 2;
}
if (KernelFeatures.BpfClassifier.SkipReason is { } missingFeature)
{
    Console.Error.WriteLine($"This demo partitions the network with a BPF classifier, and {missingFeature}.");
    return 3;
}

string[] nodes = ["node1", "node2", "node3"];
const string Isolated = "node3";

Say("Isolated.Net cluster demo: three key/value nodes, a client, and an ops host behind router 'r'");
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

var builder = new TopologyBuilder().AddSwitch("lan").AddSwitch("mgmt");
foreach (var node in nodes)
{
    builder = builder.AddHost(node).Connect(node, "lan");
}
builder = builder
    .AddHost("client").Connect("client", "lan")
    .AddRouter("r").Connect("r", "lan").Connect("r", "mgmt")
    .AddHost("ops").Connect("ops", "mgmt");
await using var topology = await builder.BuildAsync(deadline.Token);
Say($"Built the topology: {topology.Hosts.Count} hosts (each its own network namespace), {topology.Switches.Count} switches, dual-stack");
foreach (var host in topology.Hosts)
{
    var interfaces = host.Interfaces.Select(i => $"{i.Name}@{i.SegmentName} {i.IPv4?.Address} {i.IPv6?.Address}");
    Console.WriteLine($"         {(host.IsRouter ? "router" : "host"),-6} {host.Name,-6} {string.Join("  |  ", interfaces)}");
}

var started = new List<KeyValueNode>();
try
{
    foreach (var node in nodes)
    {
        started.Add(await KeyValueNode.StartAsync(topology[node], deadline.Token));
    }
    Say($"Started the key/value service (Kestrel, minimal API) on {string.Join(", ", nodes)}: port {KeyValueNode.Port}, listening inside each host");
    return await new ClusterDemo(topology, nodes, Isolated).RunAsync().WaitAsync(deadline.Token);
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    Console.Error.WriteLine("The demo did not finish within 30 s.");
    return 1;
}
finally
{
    var cleanup = Stopwatch.StartNew();
    foreach (var node in started)
    {
        await node.DisposeAsync();
    }
    // Disposing the topology (await using) then deletes every namespace, veth pair and bridge.
    Say($"Stopped the services in {cleanup.ElapsedMilliseconds} ms; disposing the topology removes every namespace, link and bridge");
}
