using Xunit.Sdk;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// xunit's case runner, creating our test runner for the test (or for each theory row).
internal sealed class NetTestCaseRunner : XunitTestCaseRunner
{
    private NetTestCaseRunner()
    {
    }

    public static new NetTestCaseRunner Instance { get; } = new();

    // As xunit runs a case that is not self-executing: create its tests (a delay-enumerated theory reads
    // its data here), report a failure or a dynamic skip there as the whole case's, then run the tests.
    public async ValueTask<RunSummary> Run(INetTestCase testCase, ExplicitOption explicitOption, IMessageBus messageBus, object?[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler executionScheduler,
        FixtureMappingManager fixtureMappingManager)
    {
        var tests = await aggregator.RunAsync(testCase.CreateTests, []);
        if (aggregator.ToException() is { } ex)
        {
            return ex.Message.StartsWith(DynamicSkipToken.Value, StringComparison.Ordinal)
                ? XunitRunnerHelper.SkipTestCases(messageBus, cancellationTokenSource, [testCase], ex.Message[DynamicSkipToken.Value.Length..], sendTestCaseMessages: false)
                : XunitRunnerHelper.FailTestCases(messageBus, cancellationTokenSource, [testCase], ex, sendTestCaseMessages: false);
        }
        return await Run(testCase, tests, messageBus, aggregator, cancellationTokenSource, parallelMode, executionScheduler,
            testCase.TestCaseDisplayName, testCase.SkipReason, explicitOption, constructorArguments, fixtureMappingManager);
    }

    protected override ValueTask<RunSummary> RunTest(XunitTestCaseRunnerContext ctxt, IXunitTest test) =>
        new NetTestRunner(((INetTestCase)ctxt.TestCase).Settings).Run(test, ctxt.MessageBus, ctxt.ConstructorArguments, ctxt.ExplicitOption,
            ctxt.Aggregator.Clone(), ctxt.CancellationTokenSource, ctxt.ParallelMode, ctxt.Scheduler, ctxt.BeforeAfterTestAttributes, ctxt.CaseFixtureMappings);
}
