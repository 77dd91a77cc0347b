using System.Globalization;
using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// One test run: decides skip or failure for missing privileges, picks the namespace (fresh, or the
// fixture's host), runs the invoker, and afterwards checks for stray threads and, on failure, writes
// what the network looked like into the test's output.
internal sealed class NetTestRunner : XunitTestRunner
{
    private NetTestTarget? _target;

    public NetTestRunner(ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments, MethodInfo testMethod,
        object[] testMethodArguments, string? skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
        // Decided here, at run time, not at discovery: a test explorer may discover in another process.
        : base(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments,
            skipReason ?? NetworkPrivileges.SkipReason, beforeAfterAttributes, aggregator, cancellationTokenSource)
    {
    }

    private NetTestSettings Settings => ((NetTestCase)TestCase).Settings;

    protected override async Task<Tuple<decimal, string>> InvokeTestAsync(ExceptionAggregator aggregator)
    {
        if (NetworkPrivileges.MissingReason is { } missing)
        {
            // Only reached when privileges are required (otherwise the test was skipped).
            aggregator.Add(new InvalidOperationException(
                $"This test {missing}, and {NetworkPrivileges.RequireVariable}=1 makes that a failure instead of a skip."));
            return Tuple.Create(0m, string.Empty);
        }
        try
        {
            _target = NetTestTarget.Resolve(Settings, ConstructorArguments, TestClass, TestMethod);
        }
        catch (Exception ex)
        {
            aggregator.Add(ex);
            return Tuple.Create(0m, string.Empty);
        }
        using var activeScope = NamespaceLeakCheck.Enter(_target.Inodes);
        PacketCapture? capture = null;
        try
        {
            NetTestContext.Set(_target.Namespace, _target.Host);
            if (Settings.Capture)
            {
                // A capture that cannot start fails the test (the body does not run) instead of the run.
                aggregator.Run(() => capture = _target.StartCapture());
            }
            var (time, output) = await base.InvokeTestAsync(aggregator);
            aggregator.Run(() => NamespaceLeakCheck.ThrowIfStrayThreads(_target.Inodes));
            if (aggregator.HasExceptions)
            {
                var description = _target.Describe();
                if (capture is not null)
                {
                    // Kept for a failing test: the path goes into the output beside the description.
                    await capture.StopAsync();
                    description += string.Create(CultureInfo.InvariantCulture,
                        $"packet capture of {capture.Source}: {capture.Path} ({capture.PacketCount} packets{(capture.LimitReached ? ", size limit reached" : "")}){Environment.NewLine}");
                    capture = null;
                }
                MessageBus.QueueMessage(new TestOutput(Test, description));
                output = string.IsNullOrEmpty(output) || output.EndsWith('\n') ? output + description : output + Environment.NewLine + description;
            }
            return Tuple.Create(time, output);
        }
        finally
        {
            if (capture is not null)
            {
                await capture.DiscardAsync();
            }
            _target.Dispose();
        }
    }

    protected override Task<decimal> InvokeTestMethodAsync(ExceptionAggregator aggregator)
    {
        var invoker = new NetTestInvoker(_target!.Namespace, Test, MessageBus, TestClass, ConstructorArguments, TestMethod, TestMethodArguments,
            BeforeAfterAttributes, aggregator, CancellationTokenSource);
        return Settings.LifecycleInside
            ? _target.Namespace.RunAsync(invoker.RunAsync)
            : invoker.RunAsync();
    }
}
