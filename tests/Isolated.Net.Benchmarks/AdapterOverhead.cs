using System.Reflection;
using Isolated.Net.Xunit.Sdk;

namespace Isolated.Net.Benchmarks;

// Benchmark (e): what [NetFact] and [NetworkIsolated] add to one test, measured in-process on the
// adapters' own invocation path rather than through generated test assemblies: a test runner's start
// (seconds, and noisy) would bury a difference of milliseconds, while the framework's own per-test
// bookkeeping is the same for [Fact] and [NetFact] and cancels out. The paths mirror
// src/Isolated.Net.Xunit/Sdk (NetTestTarget, NetTestRunner, NetTestInvoker) and
// src/Isolated.Net.NUnit/NamespaceTestCommand: a fresh namespace, the body run on its thread, the
// stray-thread scan, dispose.
internal static class AdapterOverhead
{
    private static readonly Func<Task> s_asyncBody = () => Task.CompletedTask;
    private static readonly Action s_body = () => { };

    // A plain [Fact] / [Test]: the framework calls the method, nothing else.
    public static void PlainTest() => s_asyncBody().GetAwaiter().GetResult();

    // [NetFact]: NetTestTarget creates the namespace, NetTestRunner runs the invoker through
    // RunAsync, checks strays after the test, disposes the target.
    public static void NetFactPath()
    {
        using var ns = NetworkNamespace.Create();
        ns.RunAsync(s_asyncBody).GetAwaiter().GetResult();
        _ = NamespaceLeakDetector.FindStrayThreads();
    }

    // xUnit v3 [NetFact]: not a mirror but the adapter's own per-test scope (src/Shared/Xunit/NetTestScope,
    // which the v2 adapter shares): it opens a fresh namespace, the body (a ValueTask<TimeSpan>, as xunit
    // v3's InvokeTest returns) runs through RunAsync as NetTestRunner.InvokeTest does, then the stray scan
    // and the scope's dispose.
    public static void NetFactV3Path() => NetFactV3PathAsync().GetAwaiter().GetResult();

    private static async Task NetFactV3PathAsync()
    {
        await using var scope = NetTestScope.Open(host: null, [], typeof(AdapterOverhead), s_v3Method);
        await scope.Namespace.RunAsync(() => s_v3Body().AsTask());
        scope.ThrowIfStrayThreads();
    }

    private static readonly Func<ValueTask<TimeSpan>> s_v3Body = () => new(TimeSpan.Zero);
    private static readonly MethodInfo s_v3Method = typeof(AdapterOverhead).GetMethod(nameof(NetFactV3Path))!;

    // [NetworkIsolated]: NamespaceTestCommand creates the namespace, Run()s the command chain on its
    // thread, disposes, then throws if threads strayed.
    public static void NetworkIsolatedPath()
    {
        var ns = NetworkNamespace.Create();
        try
        {
            ns.Run(s_body);
        }
        finally
        {
            ns.Dispose();
        }
        NamespaceLeakDetector.ThrowIfStrayThreads();
    }

    // The pieces, to show where the overhead goes.
    public static void CreateAndDispose() => NetworkNamespace.Create().Dispose();

    public static void StrayThreadScan() => _ = NamespaceLeakDetector.FindStrayThreads();
}
