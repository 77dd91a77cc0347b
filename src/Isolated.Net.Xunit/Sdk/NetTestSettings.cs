using Xunit.Abstractions;

namespace Isolated.Net.Xunit.Sdk;

// What [NetFact]/[NetTheory] says beyond xunit's own arguments. Read from the attribute at discovery
// and carried through test case serialization, so a test explorer run sees the same values.
internal readonly record struct NetTestSettings(string? Host, bool LifecycleInside)
{
    public static NetTestSettings From(IAttributeInfo attribute) => new(
        attribute.GetNamedArgument<string?>(nameof(NetFactAttribute.Host)),
        attribute.GetNamedArgument<bool>(nameof(NetFactAttribute.LifecycleInside)));

    public static NetTestSettings Deserialize(IXunitSerializationInfo data) => new(
        data.GetValue<string?>(nameof(Host)),
        data.GetValue<bool>(nameof(LifecycleInside)));

    public void Serialize(IXunitSerializationInfo data)
    {
        data.AddValue(nameof(Host), Host, typeof(string));
        data.AddValue(nameof(LifecycleInside), LifecycleInside);
    }
}
