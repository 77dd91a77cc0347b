using Xunit.Sdk;
using Xunit.v3;

namespace Isolated.Net.Xunit.V3.Sdk;

// What [NetFact]/[NetTheory] says beyond xunit's own properties.
internal interface INetTestAttribute
{
    string? Host { get; }

    bool LifecycleInside { get; }

    bool Capture { get; }
}

// Read from the attribute at discovery and carried through test case serialization, so a run in another
// process (a test explorer, VSTest) sees the same values.
internal readonly record struct NetTestSettings(string? Host, bool LifecycleInside, bool Capture)
{
    public static NetTestSettings From(INetTestAttribute attribute) => new(attribute.Host, attribute.LifecycleInside, attribute.Capture);

    public static NetTestSettings Deserialize(IXunitSerializationInfo info) => new(
        info.GetValue<string>(nameof(Host)),
        info.GetValue<bool>(nameof(LifecycleInside)),
        info.GetValue<bool>(nameof(Capture)));

    // The method's (and class's) traits in the mutable shape xunit's test case constructors take.
    public static Dictionary<string, HashSet<string>> Traits(IXunitTestMethod testMethod) =>
        testMethod.Traits.ToDictionary(t => t.Key, t => new HashSet<string>(t.Value, StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);

    public void Serialize(IXunitSerializationInfo info)
    {
        info.AddValue(nameof(Host), Host);
        info.AddValue(nameof(LifecycleInside), LifecycleInside);
        info.AddValue(nameof(Capture), Capture);
    }
}
