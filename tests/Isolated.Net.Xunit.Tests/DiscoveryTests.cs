using System.Reflection;
using Isolated.Net.Xunit.Sdk;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Isolated.Net.Xunit.Tests;

// Discovery as xunit does it (the discoverer named on the attribute), then the round trip a test
// explorer makes: serialize, deserialize, compare. Needs no privileges.
public class DiscoveryTests
{
    public static IEnumerable<object[]> Opaque => [[new Opaque(1)]];

    [Fact]
    public void NetFact_becomes_one_test_case_that_round_trips_its_settings()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.InHost)));
        var copy = RoundTrip(testCase);

        var netCase = Assert.IsType<NetTestCase>(copy);
        Assert.Equal(new NetTestSettings("client", LifecycleInside: true, Capture: false), netCase.Settings);
        Assert.False(netCase.EnumeratesDataAtRunTime);
        Assert.Equal(testCase.UniqueID, copy.UniqueID);
        Assert.Equal(testCase.DisplayName, copy.DisplayName);
    }

    [Fact]
    public void NetFact_without_host_round_trips_a_null_host()
    {
        var copy = RoundTrip(Assert.Single(Discover(nameof(Samples.Fresh))));
        Assert.Equal(new NetTestSettings(null, LifecycleInside: false, Capture: false), ((NetTestCase)copy).Settings);
    }

    [Fact]
    public void Serializable_theory_rows_are_listed_separately()
    {
        var cases = Discover(nameof(Samples.Rows));

        Assert.Equal(3, cases.Count);
        Assert.All(cases, c => Assert.IsType<NetTestCase>(c));
        Assert.Equal(["Samples.Rows(x: 1)", "Samples.Rows(x: 2)", "Samples.Rows(x: 3)"], cases.Select(c => ShortDisplay(c.DisplayName)).Order());
        Assert.Equal(3, cases.Select(c => c.UniqueID).Distinct().Count());
        foreach (var testCase in cases)
        {
            var copy = RoundTrip(testCase);
            Assert.Equal(testCase.TestMethodArguments, copy.TestMethodArguments);
            Assert.Equal(testCase.UniqueID, copy.UniqueID);
            Assert.Equal("server", ((NetTestCase)copy).Settings.Host);
            Assert.False(((NetTestCase)copy).EnumeratesDataAtRunTime);
        }
    }

    [Fact]
    public void Theory_with_data_xunit_cannot_serialize_becomes_one_runtime_enumerated_case()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.OpaqueRows)));
        var copy = RoundTrip(testCase);
        var netCase = Assert.IsType<NetTestCase>(copy);
        Assert.True(netCase.EnumeratesDataAtRunTime);
        Assert.True(netCase.Settings.LifecycleInside);
        Assert.Null(netCase.TestMethodArguments);
    }

    [Fact]
    public void Skipped_theory_stays_skipped()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.SkippedTheory)));
        Assert.Equal("not today", testCase.SkipReason);
    }

    [Fact]
    public void NetFact_with_parameters_is_a_discovery_error()
    {
        var testCase = Assert.Single(Discover(nameof(Samples.FactWithParameter)));
        Assert.IsType<ExecutionErrorTestCase>(testCase);
    }

    private static string ShortDisplay(string displayName) => displayName[(displayName.IndexOf("Samples.", StringComparison.Ordinal))..];

    private static IXunitTestCase RoundTrip(IXunitTestCase testCase) =>
        SerializationHelper.Deserialize<IXunitTestCase>(SerializationHelper.Serialize(testCase));

    private static List<IXunitTestCase> Discover(string methodName)
    {
        var type = typeof(Samples);
        var assembly = new TestAssembly(Reflector.Wrap(type.Assembly));
        var collection = new TestCollection(assembly, null, "samples");
        var testMethod = new TestMethod(new TestClass(collection, Reflector.Wrap(type)), Reflector.Wrap(type.GetMethod(methodName)!));
        var factAttribute = testMethod.Method.GetCustomAttributes(typeof(FactAttribute)).Single();
        var discovererArgs = factAttribute.GetCustomAttributes(typeof(XunitTestCaseDiscovererAttribute)).First().GetConstructorArguments().Cast<string>().ToList();
        var discovererType = SerializationHelper.GetType(discovererArgs[1], discovererArgs[0])!;
        var discoverer = ExtensibilityPointFactory.GetXunitTestCaseDiscoverer(new NullMessageSink(), discovererType);
        return [.. discoverer.Discover(new DiscoveryOptions(), testMethod, factAttribute)];
    }

    private sealed class DiscoveryOptions : ITestFrameworkDiscoveryOptions
    {
        private readonly Dictionary<string, object?> _values = [];

        public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var value) ? (TValue)value! : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    // Never run: xunit skips abstract classes; only read by reflection above.
    public abstract class Samples
    {
        [NetFact(Host = "client", LifecycleInside = true)]
        public void InHost()
        {
        }

        [NetFact]
        public void Fresh()
        {
        }

        [NetTheory(Host = "server")]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        public void Rows(int x) => _ = x;

        [NetTheory(LifecycleInside = true)]
        [MemberData(nameof(DiscoveryTests.Opaque), MemberType = typeof(DiscoveryTests))]
        public void OpaqueRows(Opaque value) => _ = value;

        [NetTheory(Skip = "not today")]
        [InlineData(1)]
        public void SkippedTheory(int x) => _ = x;

#pragma warning disable xUnit1001 // deliberately wrong, to see the discovery error
        [NetFact]
        public void FactWithParameter(int x) => _ = x;
#pragma warning restore xUnit1001
    }
}
