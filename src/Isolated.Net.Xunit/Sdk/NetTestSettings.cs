using Xunit.Abstractions;

namespace Isolated.Net.Xunit.Sdk;

// What [NetFact]/[NetTheory] says beyond xunit's own arguments. Read from the attribute at discovery
// and carried through test case serialization, so a test explorer run sees the same values.
internal readonly record struct NetTestSettings(string? Host, bool LifecycleInside, bool Capture)
{
    public static NetTestSettings From(IAttributeInfo attribute) => new(
        attribute.GetNamedArgument<string?>(nameof(NetFactAttribute.Host)),
        attribute.GetNamedArgument<bool>(nameof(NetFactAttribute.LifecycleInside)),
        attribute.GetNamedArgument<bool>(nameof(NetFactAttribute.Capture)));

    public static NetTestSettings Deserialize(IXunitSerializationInfo data) => new(
        data.GetValue<string?>(nameof(Host)),
        data.GetValue<bool>(nameof(LifecycleInside)),
        data.GetValue<bool>(nameof(Capture)));

    public void Serialize(IXunitSerializationInfo data)
    {
        data.AddValue(nameof(Host), Host, typeof(string));
        data.AddValue(nameof(LifecycleInside), LifecycleInside);
        data.AddValue(nameof(Capture), Capture);
    }
}
