using Xunit.Sdk;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// [NetFact] → one NetTestCase. xunit's FactDiscoverer keeps its checks (no parameters, not generic).
internal sealed class NetFactDiscoverer : FactDiscoverer
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, IXunitTestMethod testMethod, IFactAttribute factAttribute)
    {
        var details = TestIntrospectionHelper.GetTestCaseDetails(discoveryOptions, testMethod, factAttribute);
        return new NetTestCase(NetTestSettings.From((INetTestAttribute)factAttribute), details.ResolvedTestMethod, details.TestCaseDisplayName,
            details.UniqueID, details.Explicit, details.SkipExceptions, details.SkipReason, details.SkipType, details.SkipUnless, details.SkipWhen,
            NetTestSettings.Traits(testMethod), testMethodArguments: null,
            details.SourceFilePath, details.SourceLineNumber, details.Timeout);
    }
}
