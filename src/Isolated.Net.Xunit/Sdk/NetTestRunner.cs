using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// One test run: decides skip or failure for missing privileges, picks the namespace (fresh, or the
// fixture's host), runs the invoker, and afterwards checks for stray threads and, on failure, writes
// what the network looked like into the test's output.
internal sealed class NetTestRunner : XunitTestRunner
{
    private NetTestScope? _scope;

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
        if (NetTestScope.PrivilegeFailure is { } failure)
        {
            aggregator.Add(new InvalidOperationException(failure));
            return Tuple.Create(0m, string.Empty);
        }
        try
        {
            _scope = NetTestScope.Open(Settings.Host, ConstructorArguments, TestClass, TestMethod);
        }
        catch (Exception ex)
        {
            aggregator.Add(ex);
            return Tuple.Create(0m, string.Empty);
        }
        await using (_scope)
        {
            if (Settings.Capture)
            {
                // A capture that cannot start fails the test (the body does not run) instead of the run.
                aggregator.Run(_scope.StartCapture);
            }
            var (time, output) = await base.InvokeTestAsync(aggregator);
            aggregator.Run(_scope.ThrowIfStrayThreads);
            if (aggregator.HasExceptions)
            {
                var report = await _scope.DescribeFailureAsync();
                MessageBus.QueueMessage(new TestOutput(Test, report.Description));
                output = report.AppendTo(output);
            }
            return Tuple.Create(time, output);
        }
    }

    protected override Task<decimal> InvokeTestMethodAsync(ExceptionAggregator aggregator)
    {
        var invoker = new NetTestInvoker(_scope!.Namespace, Test, MessageBus, TestClass, ConstructorArguments, TestMethod, TestMethodArguments,
            BeforeAfterAttributes, aggregator, CancellationTokenSource);
        return Settings.LifecycleInside
            ? _scope.Namespace.RunAsync(invoker.RunAsync)
            : invoker.RunAsync();
    }
}
