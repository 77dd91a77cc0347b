using Xunit;
using Xunit.Sdk;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// [NetTheory] → one NetTestCase per serializable data row (listed and filterable separately), or one
// NetTheoryTestCase that enumerates the data at run time. Skipped theories and rows stay xunit's own.
internal sealed class NetTheoryDiscoverer : TheoryDiscoverer
{
    protected override ValueTask<IReadOnlyCollection<IXunitTestCase>> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions,
        IXunitTestMethod testMethod, ITheoryAttribute theoryAttribute, ITheoryDataRow dataRow, object?[] testMethodArguments, string? label)
    {
        var details = TestIntrospectionHelper.GetTestCaseDetailsForTheoryDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow, testMethodArguments, label);
        IXunitTestCase testCase = new NetTestCase(NetTestSettings.From((INetTestAttribute)theoryAttribute), details.ResolvedTestMethod,
            details.TestCaseDisplayName, details.UniqueID, details.Explicit, details.SkipExceptions, details.SkipReason, details.SkipType,
            details.SkipUnless, details.SkipWhen, TestIntrospectionHelper.GetTraits(testMethod, dataRow), testMethodArguments,
            details.SourceFilePath, details.SourceLineNumber, details.Timeout);
        return new([testCase]);
    }

    protected override ValueTask<IReadOnlyCollection<IXunitTestCase>> CreateTestCasesForTheory(ITestFrameworkDiscoveryOptions discoveryOptions,
        IXunitTestMethod testMethod, ITheoryAttribute theoryAttribute)
    {
        var details = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, theoryAttribute);
        IXunitTestCase testCase = new NetTheoryTestCase(NetTestSettings.From((INetTestAttribute)theoryAttribute), details.ResolvedTestMethod,
            details.TestCaseDisplayName, details.UniqueID, details.Explicit, theoryAttribute.SkipTestWithoutData, details.SkipExceptions,
            details.SkipReason, details.SkipType, details.SkipUnless, details.SkipWhen, NetTestSettings.Traits(testMethod),
            details.SourceFilePath, details.SourceLineNumber, details.Timeout);
        return new([testCase]);
    }
}
