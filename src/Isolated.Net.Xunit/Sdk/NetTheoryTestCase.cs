using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// A [NetTheory] whose data is enumerated at run time (not serializable, or pre-enumeration disabled).
internal sealed class NetTheoryTestCase : XunitTheoryTestCase, INetTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer only.")]
    public NetTheoryTestCase()
    {
    }

    public NetTheoryTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay methodDisplay, TestMethodDisplayOptions methodDisplayOptions,
        ITestMethod testMethod, NetTestSettings settings)
        : base(diagnosticMessageSink, methodDisplay, methodDisplayOptions, testMethod)
    {
        Settings = settings;
    }

    public NetTestSettings Settings { get; private set; }

    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        new NetTheoryTestCaseRunner(this, DisplayName, SkipReason, constructorArguments, diagnosticMessageSink, messageBus, aggregator, cancellationTokenSource).RunAsync();

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
