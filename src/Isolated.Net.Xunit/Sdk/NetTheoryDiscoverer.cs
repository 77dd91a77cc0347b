using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Sdk;

// [NetTheory] → one NetTestCase per serializable data row (listed and filterable separately), or one
// NetTestCase that enumerates the data at run time. Skipped theories and rows stay xunit's own.
internal sealed class NetTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow) =>
    [
        new NetTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod, NetTestSettings.From(theoryAttribute), dataRow),
    ];

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForTheory(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
    [
        new NetTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(),
            testMethod, NetTestSettings.From(theoryAttribute), enumeratesDataAtRunTime: true),
    ];
}
