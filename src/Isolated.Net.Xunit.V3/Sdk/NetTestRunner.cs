using Xunit;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// One test run (a new runner per test, holding that test's scope): decides skip or failure for missing
// privileges, picks the namespace (fresh, or the fixture's host), runs the body (or the whole lifecycle)
// on the namespace thread, and afterwards checks for stray threads and, on failure, adds what the network
// looked like to the test's output and as attachments.
internal sealed class NetTestRunner(NetTestSettings settings) : XunitTestRunner
{
    private NetTestScope? _scope;

    // The whole lifecycle: create the test class, invoke, dispose. Decided here, at run time, not at
    // discovery: a test explorer may discover in another process.
    protected override async ValueTask<TimeSpan> RunTest(XunitTestRunnerContext ctxt)
    {
        if (NetworkPrivileges.SkipReason is { } skip)
        {
            // v3's dynamic skip: any exception whose message starts with the token.
            ctxt.Aggregator.Add(new InvalidOperationException(DynamicSkipToken.Value + skip));
            return TimeSpan.Zero;
        }
        if (NetTestScope.PrivilegeFailure is { } failure)
        {
            ctxt.Aggregator.Add(new InvalidOperationException(failure));
            return TimeSpan.Zero;
        }
        try
        {
            _scope = NetTestScope.Open(settings.Host, ctxt.ConstructorArguments, ctxt.Test.TestMethod.TestClass.Class, ctxt.Test.TestMethod.Method);
        }
        catch (Exception ex)
        {
            ctxt.Aggregator.Add(ex);
            return TimeSpan.Zero;
        }
        await using (_scope)
        {
            if (settings.Capture)
            {
                // A capture that cannot start fails the test (the body does not run) instead of the run.
                ctxt.Aggregator.Run(_scope.StartCapture);
            }
            var elapsed = settings.LifecycleInside
                ? await _scope.Namespace.RunAsync(() => base.RunTest(ctxt).AsTask())
                : await base.RunTest(ctxt);
            ctxt.Aggregator.Run(_scope.ThrowIfStrayThreads);
            // A failure, not a body that skipped itself (Assert.Skip is an exception carrying the skip token).
            if (ctxt.Aggregator.ToException() is { } exception && !exception.Message.StartsWith(DynamicSkipToken.Value, StringComparison.Ordinal))
            {
                var report = await _scope.DescribeFailureAsync();
                var context = TestContext.Current;
                context.TestOutputHelper?.Write(report.Description);
                context.AddAttachment("isolated-net-network", report.Description);
                if (report.CapturePath is { } path)
                {
                    context.AddAttachment(Path.GetFileName(path), await File.ReadAllBytesAsync(path), "application/vnd.tcpdump.pcap");
                }
            }
            return elapsed;
        }
    }

    // Only the body, unless the whole lifecycle already runs inside (then RunAsync runs it inline).
    protected override ValueTask<TimeSpan> InvokeTest(XunitTestRunnerContext ctxt, object? testClassInstance) =>
        new(_scope!.Namespace.RunAsync(() => base.InvokeTest(ctxt, testClassInstance).AsTask()));
}
