using System.ComponentModel;
using Xunit.Sdk;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// The settings both kinds of test case carry, so the case runner can read them from either.
internal interface INetTestCase : IXunitTestCase
{
    NetTestSettings Settings { get; }
}

// A [NetFact], or one pre-enumerated [NetTheory] row. Self-executing, so xunit hands the run to us.
internal sealed class NetTestCase : XunitTestCase, INetTestCase, ISelfExecutingXunitTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer only.")]
    public NetTestCase()
    {
    }

    public NetTestCase(NetTestSettings settings, IXunitTestMethod testMethod, string testCaseDisplayName, string uniqueID, bool @explicit,
        Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, object?[]? testMethodArguments, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(testMethod, testCaseDisplayName, uniqueID, @explicit, skipExceptions, skipReason, skipType, skipUnless, skipWhen, traits,
            testMethodArguments, sourceFilePath, sourceLineNumber, timeout)
    {
        Settings = settings;
    }

    public NetTestSettings Settings { get; private set; }

    public ValueTask<RunSummary> Run(ExplicitOption explicitOption, IMessageBus messageBus, object?[] constructorArguments, ExceptionAggregator aggregator,
        CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler executionScheduler, FixtureMappingManager fixtureMappingManager) =>
        NetTestCaseRunner.Instance.Run(this, explicitOption, messageBus, constructorArguments, aggregator, cancellationTokenSource, parallelMode, executionScheduler, fixtureMappingManager);

    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        Settings.Serialize(info);
    }

    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        Settings = NetTestSettings.Deserialize(info);
    }
}

// A [NetTheory] whose data is enumerated at run time (not serializable, or pre-enumeration off).
internal sealed class NetTheoryTestCase : XunitDelayEnumeratedTheoryTestCase, INetTestCase, ISelfExecutingXunitTestCase
{
    [EditorBrowsable(EditorBrowsableState.Never)]
    [Obsolete("Called by the de-serializer only.")]
    public NetTheoryTestCase()
    {
    }

    public NetTheoryTestCase(NetTestSettings settings, IXunitTestMethod testMethod, string testCaseDisplayName, string uniqueID, bool @explicit,
        bool skipTestWithoutData, Type[]? skipExceptions, string? skipReason, Type? skipType, string? skipUnless, string? skipWhen,
        Dictionary<string, HashSet<string>>? traits, string? sourceFilePath, int? sourceLineNumber, int? timeout)
        : base(testMethod, testCaseDisplayName, uniqueID, @explicit, skipTestWithoutData, skipExceptions, skipReason, skipType, skipUnless, skipWhen,
            traits, sourceFilePath, sourceLineNumber, timeout)
    {
        Settings = settings;
    }

    public NetTestSettings Settings { get; private set; }

    public ValueTask<RunSummary> Run(ExplicitOption explicitOption, IMessageBus messageBus, object?[] constructorArguments, ExceptionAggregator aggregator,
        CancellationTokenSource cancellationTokenSource, ParallelMode parallelMode, ExecutionScheduler executionScheduler, FixtureMappingManager fixtureMappingManager) =>
        NetTestCaseRunner.Instance.Run(this, explicitOption, messageBus, constructorArguments, aggregator, cancellationTokenSource, parallelMode, executionScheduler, fixtureMappingManager);

    protected override void Serialize(IXunitSerializationInfo info)
    {
        base.Serialize(info);
        Settings.Serialize(info);
    }

    protected override void Deserialize(IXunitSerializationInfo info)
    {
        base.Deserialize(info);
        Settings = NetTestSettings.Deserialize(info);
    }
}
