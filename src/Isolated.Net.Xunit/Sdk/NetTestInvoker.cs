using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// Runs the test method on the namespace thread. xunit's own invocation (async void tracking, timeouts,
// timing) runs there too, so every await of the body comes back to that thread; the task RunAsync
// returns is completed from a root-namespace thread, so xunit continues outside.
internal sealed class NetTestInvoker(NetworkNamespace ns, ITest test, IMessageBus messageBus, Type testClass, object[] constructorArguments,
    MethodInfo testMethod, object[] testMethodArguments, IReadOnlyList<BeforeAfterTestAttribute> beforeAfterAttributes,
    ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource)
    : XunitTestInvoker(test, messageBus, testClass, constructorArguments, testMethod, testMethodArguments, beforeAfterAttributes, aggregator, cancellationTokenSource)
{
    // When the whole lifecycle already runs inside, RunAsync from the namespace thread runs inline.
    protected override Task<decimal> InvokeTestMethodAsync(object testClassInstance) =>
        ns.RunAsync(() => base.InvokeTestMethodAsync(testClassInstance));

    // xunit 2.9 awaits Task results only: a ValueTask body is converted so it is awaited too.
    protected override object CallTestMethod(object testClassInstance)
    {
        var result = base.CallTestMethod(testClassInstance);
        if (result is ValueTask valueTask)
        {
            return valueTask.AsTask();
        }
        var type = result?.GetType();
        if (type is { IsGenericType: true } && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
        {
            return type.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null)!;
        }
        return result!;
    }
}
