using System.ComponentModel;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// A [NetFact], one pre-enumerated [NetTheory] row, or a whole [NetTheory] whose data is enumerated at
// run time (not serializable, or pre-enumeration off). xunit's XunitTheoryTestCase differs from
// XunitTestCase only in the runner it starts, so one class with a flag serves all three.
internal sealed class NetTestCase : XunitTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer only.")]
    public NetTestCase()
    {
    }

    public NetTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay methodDisplay, TestMethodDisplayOptions methodDisplayOptions,
        ITestMethod testMethod, NetTestSettings settings, object[]? testMethodArguments = null, bool enumeratesDataAtRunTime = false)
        : base(diagnosticMessageSink, methodDisplay, methodDisplayOptions, testMethod, testMethodArguments)
    {
        Settings = settings;
        EnumeratesDataAtRunTime = enumeratesDataAtRunTime;
    }

    public NetTestSettings Settings { get; private set; }

    public bool EnumeratesDataAtRunTime { get; private set; }

    public override Task<RunSummary> RunAsync(IMessageSink diagnosticMessageSink, IMessageBus messageBus, object[] constructorArguments,
        ExceptionAggregator aggregator, CancellationTokenSource cancellationTokenSource) =>
        EnumeratesDataAtRunTime
            ? new NetTheoryTestCaseRunner(this, DisplayName, SkipReason, constructorArguments, diagnosticMessageSink, messageBus, aggregator, cancellationTokenSource).RunAsync()
            : new NetTestCaseRunner(this, DisplayName, SkipReason, constructorArguments, TestMethodArguments, messageBus, aggregator, cancellationTokenSource).RunAsync();

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        Settings.Serialize(data);
        data.AddValue(nameof(EnumeratesDataAtRunTime), EnumeratesDataAtRunTime);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        base.Deserialize(data);
        Settings = NetTestSettings.Deserialize(data);
        EnumeratesDataAtRunTime = data.GetValue<bool>(nameof(EnumeratesDataAtRunTime));
    }
}
