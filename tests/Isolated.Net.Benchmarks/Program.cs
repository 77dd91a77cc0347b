using System.Globalization;
using System.Text;
using Isolated.Net;
using Isolated.Net.Benchmarks;

// Isolated.Net benchmarks. Run as root:
//   dotnet run -c Release --project tests/Isolated.Net.Benchmarks -- [--quick]
//
// A Stopwatch harness, not BenchmarkDotNet: every iteration creates and destroys kernel namespaces
// (privileged, stateful, milliseconds each, with asynchronous kernel cleanup that a pilot/overhead
// calibration would smear across iterations), the comparisons include other processes (ip, the C
// floor), and the sustained run measures RSS and kernel backlog, none of which BenchmarkDotNet's
// per-invocation model suits. Each benchmark warms up unmeasured, then times every iteration on its
// own; the report gives median and p90 (nearest rank) and the iteration count.

bool quick = args is ["--quick"];
int? loop = args is ["--loop", var loopArgument] && int.TryParse(loopArgument, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : null;
bool impairedOnly = args is ["--impaired"];
bool publishedOnly = args is ["--published"];
bool faultsOnly = args is ["--faults"];
int? sustainedOnly = args is ["--sustained", var sustainedArgument] && int.TryParse(sustainedArgument, CultureInfo.InvariantCulture, out var sustainedCount) && sustainedCount > 0 ? sustainedCount : null;
if (!(args.Length == 0 || quick || impairedOnly || publishedOnly || faultsOnly || loop is not null || sustainedOnly is not null))
{
    Console.WriteLine("usage: Isolated.Net.Benchmarks [--quick | --loop N]   (as root)");
    Console.WriteLine("  --quick    every benchmark with small counts (under a minute)");
    Console.WriteLine("  --sustained N  only the sustained run (f), with N topologies");
    Console.WriteLine("  --impaired only the impaired-link runs: (g) throughput and (h) precision");
    Console.WriteLine("  --published only (i): request overhead of a published port");
    Console.WriteLine("  --faults   only (j): Partition + Heal per cut mechanism");
    Console.WriteLine("  --loop N   only build and dispose the 2-host topology N times, for a profiler:");
    Console.WriteLine("             DOTNET_PerfMapEnabled=1 perf record -g -- dotnet <this>.dll --loop 2000");
    return args.Any(a => a is "-h" or "--help") ? 0 : 2;
}
if (!NetworkPrivileges.AreSufficient)
{
    Console.Error.WriteLine("The benchmarks need network namespaces: " + NetworkPrivileges.MissingReason);
    return 2;
}

if (loop is { } iterations)
{
    var topology = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b");
    for (int i = 0; i < iterations; i++)
    {
        topology.Build().Dispose();
    }
    return 0;
}

var counts = quick
    ? new { Warmup = 5, Cheap = 30, Ip = 5, Lan20 = 3, Lan100 = 1, Sustained = 200 }
    : new { Warmup = 20, Cheap = 300, Ip = 200, Lan20 = 50, Lan100 = 20, Sustained = sustainedOnly ?? 2000 };

var rows = new List<(Samples Samples, string Note)>();
var metrics = new StringBuilder();
void Metric(string name, double value, string unit) =>
    metrics.AppendLine(string.Create(CultureInfo.InvariantCulture, $"metric={name} value={value:0.####} unit={unit}"));
// Before each benchmark, let the kernel finish tearing down what the previous one disposed.
void Settle() => NamespaceBacklog.Settle(target: null, TimeSpan.FromSeconds(quick ? 2 : 10));
Samples Run(string name, int warmup, int iterations, Action body, string note = "")
{
    Settle();
    Console.Error.WriteLine($"running {name} ({warmup} warm-up, {iterations} measured)…");
    var samples = Samples.Measure(name, warmup, iterations, body);
    rows.Add((samples, note));
    return samples;
}

// (j) Partition + Heal on a 3-host switch, once per cut mechanism that works here.
void PartitionHealMetrics()
{
    foreach (var mechanism in new[] { Isolated.Net.Faults.CutMechanism.Nftables, Isolated.Net.Faults.CutMechanism.Bpf })
    {
        using var net = PartitionHeal.ThreeHostSwitch(mechanism, out string? skipReason);
        if (net is null)
        {
            Console.Error.WriteLine($"skipping (j) partition+heal with {mechanism}: {skipReason}");
            continue;
        }
        var samples = Run($"(j) Partition + Heal, 3-host switch, {mechanism}", counts.Warmup, counts.Cheap, () => PartitionHeal.Once(net));
        Metric("partition_heal_us_" + mechanism.ToString().ToLowerInvariant(), samples.Median * 1000, "us");
    }
}
if (faultsOnly)
{
    PartitionHealMetrics();
    foreach (var (samples, _) in rows)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{samples.Name}: n={samples.Count} median {samples.Median * 1000:0} µs, p90 {samples.P90 * 1000:0} µs"));
    }
    Console.Write(metrics);
    return 0;
}

// --sustained N runs (f) alone, --impaired (g) and (h) alone, --published (i) alone, --faults (j) alone;
// otherwise everything runs, comparisons first.
if (sustainedOnly is null && !impairedOnly && !publishedOnly)
{
    // (a) and (c) alternate in rounds of ten, so both see the same machine: the other load on it and the
    // kernel's asynchronous teardown of the namespaces the previous round disposed. Each round starts with
    // two unmeasured iterations (the floor is a fresh process each round: cold page cache and TLB).
    var twoHosts = new TopologyBuilder().AddHost("a").AddHost("b").Link("a", "b");
    var isolated = new Samples("(a) 2-host, Isolated.Net");
    rows.Add((isolated, ""));
    var (floor, floorSkipReason) = SyscallFloor.Compile();
    Samples? floorSamples = null;
    using (floor)
    {
        if (floor is null)
        {
            Console.Error.WriteLine("skipping (c) the C floor: " + floorSkipReason);
        }
        else
        {
            floorSamples = new Samples("(c) 2-host, C floor");
            rows.Add((floorSamples, "raw syscalls + rtnetlink, floor/floor.c"));
        }
        Settle();
        Console.Error.WriteLine($"running (a) and (c) alternately ({counts.Warmup} warm-up, {counts.Cheap} measured each)…");
        const int Round = 10;
        for (int done = 0; done < counts.Cheap; done += Round)
        {
            int warmup = done == 0 ? counts.Warmup : 2, n = Math.Min(Round, counts.Cheap - done);
            Samples.MeasureInto(isolated, warmup, n, () => twoHosts.Build().Dispose());
            floor?.Measure(warmup, n, floorSamples!);
        }
    }
    Samples? ip = null;
    if (IpCommandTopology.IsAvailable())
    {
        ip = Run("(b) 2-host, ip commands", 2, counts.Ip, IpCommandTopology.BuildAndDispose, "12 ip processes, named namespaces");
    }
    else
    {
        Console.Error.WriteLine("skipping (b): iproute2's ip is not on PATH");
    }

    // (a') the same 2-host topology from a warm NamespacePool: each iteration starts once the pool is
    // full again (a test body longer than a refill, ~1 ms a namespace, sees exactly this).
    Samples pooled;
    using (var pool = new NamespacePool(4))
    {
        var fromPool = twoHosts.UsePool(pool);
        Settle();
        WaitFull(pool);
        Console.Error.WriteLine($"running (a') 2-host from a warm pool ({counts.Warmup} warm-up, {counts.Cheap} measured)…");
        pooled = Samples.Measure("(a') 2-host, Isolated.Net, warm NamespacePool(4)", counts.Warmup, counts.Cheap, () =>
        {
            fromPool.Build().Dispose();
        }, before: () => WaitFull(pool));
        rows.Add((pooled, "namespaces made ahead by the pool's thread; each used once"));
    }

    // (d) and (d') alternate as (a) and (c) do.
    var lan20 = SwitchedLan(20);
    var lan100 = SwitchedLan(100);
    var lan20Samples = new Samples("(d) 20-host switched LAN");
    rows.Add((lan20Samples, ""));
    Samples? lan20Floor = null;
    var (lanFloor, _) = SyscallFloor.Compile();
    using (lanFloor)
    {
        if (lanFloor is not null)
        {
            lan20Floor = new Samples("(d') 20-host switched LAN, C floor");
            rows.Add((lan20Floor, "raw syscalls + rtnetlink, floor/floor.c lan 20"));
        }
        Settle();
        Console.Error.WriteLine($"running (d) and (d') alternately (1 warm-up, {counts.Lan20} measured each)…");
        for (int done = 0; done < counts.Lan20; done += 5)
        {
            int n = Math.Min(5, counts.Lan20 - done);
            Samples.MeasureInto(lan20Samples, 1, n, () => lan20.Build().Dispose());
            lanFloor?.Measure(1, n, lan20Floor!, lanHosts: 20);
        }
    }
    Run("(d) 100-host switched LAN", 1, counts.Lan100, () => lan100.Build().Dispose());
    Samples lan20Pooled;
    using (var lanPool = new NamespacePool(21))
    {
        var fromPool = lan20.UsePool(lanPool);
        Settle();
        WaitFull(lanPool);
        Console.Error.WriteLine($"running (d'') 20-host LAN from a warm pool (1 warm-up, {counts.Lan20} measured)…");
        lan20Pooled = Samples.Measure("(d'') 20-host switched LAN, warm NamespacePool(21)", 1, counts.Lan20, () => fromPool.Build().Dispose(), before: () => WaitFull(lanPool));
        rows.Add((lan20Pooled, "20 hosts and the hub from the pool; each namespace used once"));
    }

    var plain = Run("(e) plain [Fact]/[Test] body", counts.Warmup, counts.Cheap, AdapterOverhead.PlainTest);
    var netFact = Run("(e) [NetFact] invocation path", counts.Warmup, counts.Cheap, AdapterOverhead.NetFactPath, "Create + RunAsync + stray scan + Dispose");
    var nunit = Run("(e) [NetworkIsolated] invocation path", counts.Warmup, counts.Cheap, AdapterOverhead.NetworkIsolatedPath, "Create + Run + Dispose + stray scan");
    var createDispose = Run("profile: NetworkNamespace.Create + Dispose", counts.Warmup, counts.Cheap, AdapterOverhead.CreateAndDispose);
    var scan = Run("profile: stray-thread scan", counts.Warmup, counts.Cheap, AdapterOverhead.StrayThreadScan);

    Metric("two_host_isolated_net_median", isolated.Median, "ms");
    Metric("two_host_isolated_net_p90", isolated.P90, "ms");
    Metric("two_host_pooled_median", pooled.Median, "ms");
    Metric("two_host_pooled_p90", pooled.P90, "ms");
    if (floorSamples is { } c)
    {
        Metric("two_host_c_floor_median", c.Median, "ms");
        Metric("two_host_c_floor_p90", c.P90, "ms");
        Metric("ratio_vs_c_floor", isolated.Median / c.Median, "x");
        Metric("ratio_vs_c_floor_p90", isolated.P90 / c.P90, "x");
        Metric("ratio_vs_c_floor_mean", isolated.Mean / c.Mean, "x");
        Metric("pooled_ratio_vs_c_floor", pooled.Median / c.Median, "x");
    }
    Metric("lan20_ms", lan20Samples.Median, "ms");
    Metric("lan20_pooled_ms", lan20Pooled.Median, "ms");
    if (lan20Floor is { } lf)
    {
        Metric("lan20_c_floor_ms", lf.Median, "ms");
        Metric("lan20_ratio_vs_c_floor", lan20Samples.Median / lf.Median, "x");
    }
    if (ip is not null)
    {
        Metric("two_host_ip_median", ip.Median, "ms");
        Metric("two_host_ip_p90", ip.P90, "ms");
        Metric("ratio_vs_ip", ip.Median / isolated.Median, "x");
        Metric("pooled_ratio_vs_ip", ip.Median / pooled.Median, "x");
        Metric("ratio_vs_ip_mean", ip.Mean / isolated.Mean, "x");
    }
    foreach (var (samples, _) in rows.Where(r => r.Samples.Name.StartsWith("(d)", StringComparison.Ordinal)))
    {
        string hosts = samples.Name.Split(' ')[1];
        Metric($"lan_{hosts}_median", samples.Median, "ms");
        Metric($"lan_{hosts}_p90", samples.P90, "ms");
        if (hosts == "100-host")
        {
            Metric("lan100_ms", samples.Median, "ms");
        }
    }
    Metric("netfact_overhead_median", netFact.Median - plain.Median, "ms");
    Metric("netfact_overhead_ms", netFact.Median - plain.Median, "ms");
    var netFactV3 = Run("(e) xUnit v3 [NetFact] invocation path", counts.Warmup, counts.Cheap, AdapterOverhead.NetFactV3Path, "NetTestScope.Open + RunAsync + stray scan + DisposeAsync");
    Metric("xunit_v3_netfact_overhead_ms", netFactV3.Median - plain.Median, "ms");
    Metric("networkisolated_overhead_median", nunit.Median - plain.Median, "ms");
    Metric("namespace_create_dispose_median", createDispose.Median, "ms");
    Metric("stray_thread_scan_median", scan.Median, "ms");
    PartitionHealMetrics();
}

if (sustainedOnly is null && !impairedOnly)
{
    Settle();
    Console.Error.WriteLine("running (i) published port: TCP round trips through the proxy and from inside the host…");
    var (throughPort, insideHost) = await PublishedPortOverhead.MeasureAsync(quick ? 1_000 : 10_000);
    rows.Add((throughPort, "64 B each way, kept-alive; root-namespace socket -> 127.0.0.1 -> proxy -> host"));
    rows.Add((insideHost, "64 B each way, kept-alive; socket made inside the host -> its own address"));
    Metric("published_port_request_overhead_us", (throughPort.Median - insideHost.Median) * 1000, "us");
    Metric("published_port_round_trip_median_us", throughPort.Median * 1000, "us");
    Metric("published_port_round_trip_p90_us", throughPort.P90 * 1000, "us");
    Metric("namespace_round_trip_median_us", insideHost.Median * 1000, "us");
    if (publishedOnly)
    {
        foreach (var (samples, note) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{samples.Name}: n {samples.Count}, median {samples.Median * 1000:0.#} µs, p90 {samples.P90 * 1000:0.#} µs ({note})"));
        }
        Console.Write(metrics);
        return 0;
    }
}

Console.Error.WriteLine("running (g) link throughput: impaired link (TAP + forwarder) and veth…");
var transfer = TimeSpan.FromSeconds(quick ? 1 : 3);
var impairedRun = await LinkThroughput.MeasureAsync(impaired: true, transfer, configure: null, warmUp: TimeSpan.Zero, socketBuffer: 0);
double impairedBits = impairedRun.BitsPerSecond;
double vethBits = await LinkThroughput.MeasureAsync(impaired: false, transfer);
// One TCP flow through 10 ms each way and a 1 Gbit/s rate limit, 16 MiB socket buffers (the
// bandwidth-delay product is 2.5 MB); the first 2 s (slow start) left out.
var rateLimited = await LinkThroughput.MeasureAsync(impaired: true, TimeSpan.FromSeconds(quick ? 2 : 5),
    o => o.Both(i => { i.Delay = TimeSpan.FromMilliseconds(10); i.RateBitsPerSecond = 1_000_000_000; }),
    warmUp: TimeSpan.FromSeconds(2), socketBuffer: 16 << 20);
Console.Error.WriteLine("running (h) impaired link precision: UDP pings over 10 ms each way…");
var precision = ImpairedLinkPrecision.Measure(quick ? 200 : 2000);
// The same pinger over a veth, pausing 20 ms between pings so both ends sleep as long: what the
// endpoints' own wake-ups cost with no impaired link at all.
var vethIdle = ImpairedLinkPrecision.Measure(quick ? 200 : 1000, TimeSpan.Zero, impaired: false, gap: TimeSpan.FromMilliseconds(20));
string throughputLine = string.Create(CultureInfo.InvariantCulture, $"Link throughput (TCP bulk, {transfer.TotalSeconds:0} s, MTU 1500): impaired link with no impairment {impairedBits / 1e9:0.##} Gbit/s; veth {vethBits / 1e9:0.##} Gbit/s.");
string precisionLine = string.Create(CultureInfo.InvariantCulture, $"Impaired link precision ({precision.RttErrorsMicroseconds.Count} UDP pings, 10 ms each way, forwarder {(precision.RealTime ? "real-time" : "normal priority")}): A→B {precision.AtoB}; B→A {precision.BtoA}; RTT − 20 ms median {Samples.Percentile(precision.RttErrorsMicroseconds, 0.5):0} µs, p99 {Samples.Percentile(precision.RttErrorsMicroseconds, 0.99):0} µs; veth RTT with the ends idle 20 ms between pings median {Samples.Percentile(vethIdle.RttErrorsMicroseconds, 0.5):0} µs.");
string rateLine = string.Create(CultureInfo.InvariantCulture, $"Impaired link throughput: unimpaired, forwarder CPU {impairedRun.CoresPerGbit:0.###} cores per Gbit/s; one TCP flow over 10 ms each way and 1 Gbit/s, 16 MiB buffers: {rateLimited.BitsPerSecond / 1e9:0.###} Gbit/s after a 2 s warm-up (goodput; the limit counts Ethernet bytes).");
void ImpairedLinkMetrics()
{
    Metric("impaired_link_unimpaired_throughput", impairedBits / 1e9, "Gbit/s");
    Metric("veth_link_throughput", vethBits / 1e9, "Gbit/s");
    Metric("impaired_cpu_per_gbit", impairedRun.CoresPerGbit, "cores/(Gbit/s)");
    Metric("impaired_rate_limited_10ms_1gbit_throughput", rateLimited.BitsPerSecond / 1e9, "Gbit/s");
    Metric("impaired_lateness_median_us", precision.LatenessMedianMicroseconds, "us");
    Metric("impaired_lateness_p99_us", precision.LatenessP99Microseconds, "us");
    Metric("impaired_lateness_max_us", precision.LatenessMaxMicroseconds, "us");
    Metric("impaired_rtt_error_median_us", Samples.Percentile(precision.RttErrorsMicroseconds, 0.5), "us");
    Metric("impaired_rtt_error_p99_us", Samples.Percentile(precision.RttErrorsMicroseconds, 0.99), "us");
    Metric("veth_idle_rtt_median_us", Samples.Percentile(vethIdle.RttErrorsMicroseconds, 0.5), "us");
    Metric("impaired_rtt_error_over_veth_idle_median_us", Samples.Percentile(precision.RttErrorsMicroseconds, 0.5) - Samples.Percentile(vethIdle.RttErrorsMicroseconds, 0.5), "us");
}
if (impairedOnly)
{
    Console.WriteLine(throughputLine);
    Console.WriteLine(precisionLine);
    Console.WriteLine(rateLine);
    ImpairedLinkMetrics();
    Console.Write(metrics);
    return 0;
}

Console.Error.WriteLine($"running (f) sustained: {counts.Sustained} 2-host topologies…");
var sustained = SustainedLoad.Run(counts.Sustained, TimeSpan.FromSeconds(quick ? 5 : 30));

// The report: a markdown table on stdout, then machine-readable lines.
var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"Isolated.Net benchmarks ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, kernel {Environment.OSVersion.Version}, .NET {Environment.Version}");
report.AppendLine();
report.AppendLine("| benchmark | n | median ms | p90 ms | mean ms | note |");
report.AppendLine("|---|---:|---:|---:|---:|---|");
foreach (var (samples, note) in rows)
{
    report.AppendLine(CultureInfo.InvariantCulture, $"| {samples.Name} | {samples.Count} | {samples.Median:0.###} | {samples.P90:0.###} | {samples.Mean:0.###} | {note} |");
}
report.AppendLine();
double throughput = sustained.Topologies / sustained.Seconds;
report.AppendLine(CultureInfo.InvariantCulture, $"Sustained: {sustained.Topologies} 2-host topologies in {sustained.Seconds:0.##} s ({throughput:0.#}/s), {sustained.AllocatedBytes / 1024.0 / sustained.Topologies:0.#} KiB allocated per topology; RSS start/middle/end {sustained.Start.RssKiB / 1024.0:0.#}/{sustained.Middle.RssKiB / 1024.0:0.#}/{sustained.End.RssKiB / 1024.0:0.#} MiB; "
    + $"managed heap after full GC start/end {sustained.Start.ManagedHeapBytes / 1048576.0:0.##}/{sustained.End.ManagedHeapBytes / 1048576.0:0.##} MiB ({sustained.ManagedHeapAfterScanBytes / 1048576.0:0.##} after a stray-thread scan); threads {sustained.Start.Threads}/{sustained.End.Threads}; open fds {sustained.Start.OpenFds}/{sustained.End.OpenFds}; "
    + $"RSS every tenth (MiB): {string.Join(' ', sustained.RssSeriesKiB.Select(k => (k / 1024.0).ToString("0.#", CultureInfo.InvariantCulture)))}; GC committed every tenth (MiB): {string.Join(' ', sustained.GcCommittedSeriesBytes.Select(b => (b / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture)))}; kernel net_namespace objects before {Show(sustained.NamespacesBefore)}, at end {Show(sustained.NamespacesAtEnd)}, {Show(sustained.NamespacesAfterDrain)} after {sustained.DrainSeconds:0.#} s.");
report.AppendLine(throughputLine);
report.AppendLine(precisionLine);
report.AppendLine(rateLine);
Console.WriteLine(report);

ImpairedLinkMetrics();

Metric("sustained_throughput", throughput, "topologies/s");
Metric("sustained_allocated_per_topology", sustained.AllocatedBytes / 1024.0 / sustained.Topologies, "KiB");
Metric("sustained_rss_start", sustained.Start.RssKiB / 1024.0, "MiB");
Metric("sustained_rss_middle", sustained.Middle.RssKiB / 1024.0, "MiB");
Metric("sustained_rss_end", sustained.End.RssKiB / 1024.0, "MiB");
Metric("sustained_gc_committed_start", sustained.GcCommittedSeriesBytes[0] / 1048576.0, "MiB");
Metric("sustained_gc_committed_end", sustained.GcCommittedSeriesBytes[^1] / 1048576.0, "MiB");
Metric("sustained_managed_heap_start", sustained.Start.ManagedHeapBytes / 1048576.0, "MiB");
Metric("sustained_managed_heap_end", sustained.End.ManagedHeapBytes / 1048576.0, "MiB");
Metric("sustained_managed_heap_end_after_scan", sustained.ManagedHeapAfterScanBytes / 1048576.0, "MiB");
Metric("sustained_threads_start", sustained.Start.Threads, "threads");
Metric("sustained_threads_end", sustained.End.Threads, "threads");
Metric("sustained_fds_start", sustained.Start.OpenFds, "fds");
Metric("sustained_fds_end", sustained.End.OpenFds, "fds");
if (sustained.NamespacesAtEnd is { } atEnd && sustained.NamespacesBefore is { } before)
{
    // Machine-wide counts: other processes' namespaces come and go too, hence the raw values beside.
    Metric("sustained_netns_objects_before", before, "namespaces");
    Metric("sustained_netns_objects_end", atEnd, "namespaces");
    Metric("sustained_netns_objects_after_drain", sustained.NamespacesAfterDrain ?? atEnd, "namespaces");
    Metric("sustained_netns_backlog_end", Math.Max(0, atEnd - before), "namespaces");
    Metric("sustained_netns_backlog_after_drain", Math.Max(0, (sustained.NamespacesAfterDrain ?? atEnd) - before), "namespaces");
    Metric("sustained_netns_drain", sustained.DrainSeconds, "s");
}
Console.Write(metrics);
return 0;

static string Show(int? count) => count?.ToString(CultureInfo.InvariantCulture) ?? "n/a";

// Waits (bounded) until the pool has made every namespace it keeps.
static void WaitFull(NamespacePool pool)
{
    var deadline = DateTime.UtcNow.AddSeconds(5);
    while (pool.Available < pool.Size && DateTime.UtcNow < deadline)
    {
        Thread.Sleep(1);
    }
}

static TopologyBuilder SwitchedLan(int hosts)
{
    var builder = new TopologyBuilder().AddSwitch("lan");
    for (int i = 0; i < hosts; i++)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"h{i}");
        builder = builder.AddHost(name).Connect(name, "lan");
    }
    return builder;
}
