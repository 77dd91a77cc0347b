using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// A [NetFact], or one pre-enumerated [NetTheory] row.
internal sealed class NetTestCase : XunitTestCase, INetTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer only.")]
    public NetTestCase()
    {
    }

    public NetTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay methodDisplay, TestMethodDisplayOptions methodDisplayOptions,
        ITestMethod testMethod, NetTestSettings settings, object[]? testMethodArguments = null)
        : base(diagnosticMessageSink, methodDisplay, methodDisplayOptions, testMethod, testMethodArguments)
    {
        Settings = settings;
    }

    public NetTestSettings Settings { get; private set; }

    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        new NetTestCaseRunner(this, DisplayName, SkipReason, constructorArguments, TestMethodArguments, messageBus, aggregator, cancellationTokenSource).RunAsync();

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        Settings.Serialize(data);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        base.Deserialize(data);
        Settings = NetTestSettings.Deserialize(data);
    }
}
