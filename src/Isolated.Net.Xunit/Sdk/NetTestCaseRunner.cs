using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// xunit's case runners, creating our test runner for the test (or for each theory row).
internal sealed class NetTestCaseRunner(IXunitTestCase testCase, string displayName, string skipReason, object[] constructorArguments,
    object[] testMethodArguments, IMessageBus messageBus, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTestCaseRunner(testCase, displayName, skipReason, constructorArguments, testMethodArguments, messageBus, aggregator, cancellationTokenSource)
{
    protected override XunitTestRunner CreateTestRunner(ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments,
        MethodInfo testMethod, object[] testMethodArguments, string skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        new NetTestRunner(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, skipReason,
            beforeAfterAttributes, new ExceptionAggregator(aggregator), cancellationTokenSource);
}

internal sealed class NetTheoryTestCaseRunner(IXunitTestCase testCase, string displayName, string skipReason, object[] constructorArguments,
    IMessageSink diagnosticMessageSink, IMessageBus messageBus, ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTheoryTestCaseRunner(testCase, displayName, skipReason, constructorArguments, diagnosticMessageSink, messageBus, aggregator, cancellationTokenSource)
{
    protected override XunitTestRunner CreateTestRunner(ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments,
        MethodInfo testMethod, object[] testMethodArguments, string skipReason, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        new NetTestRunner(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, skipReason,
            beforeAfterAttributes, new ExceptionAggregator(aggregator), cancellationTokenSource);
}
