using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// [NetFact] → one NetTestCase. xunit's FactDiscoverer keeps its checks (no parameters, not generic).
internal sealed class NetFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new NetTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod, NetTestSettings.From(factAttribute));
}
