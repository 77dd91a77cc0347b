using Xunit;

namespace Isolated.Net.Tests.Faults;

/// <summary>
/// A privileged fact that also needs a kernel feature (a property name of <see cref="KernelFeatures"/>):
/// skipped with the kernel's reason where the feature is missing. Privileges are checked first, so an
/// unprivileged run skips for that reason (which CI, as root, never sees).
/// </summary>
public sealed class KernelFeatureFactAttribute : FactAttribute
{
    public KernelFeatureFactAttribute(string feature)
    {
        Skip = NetworkPrivileges.SkipReason ?? (NetworkPrivileges.AreSufficient ? SkipFor(Feature(feature)) : null);
    }

    // A feature the kernel has but refuses to rootless mode (bpf(2) under kernel.unprivileged_bpf_disabled)
    // is a rootless skip, which CI lists, not a missing kernel feature.
    private static string? SkipFor(KernelFeature feature) =>
        feature.IsDenied && NetworkPrivileges.IsRootless ? $"{Testing.ExternalTools.RootlessSkipMarker} {feature.SkipReason}" : feature.SkipReason;

    private static KernelFeature Feature(string name) => name switch
    {
        nameof(KernelFeatures.Netem) => KernelFeatures.Netem,
        nameof(KernelFeatures.TokenBucket) => KernelFeatures.TokenBucket,
        nameof(KernelFeatures.BpfClassifier) => KernelFeatures.BpfClassifier,
        nameof(KernelFeatures.Nftables) => KernelFeatures.Nftables,
        _ => throw new ArgumentException($"KernelFeatures has no '{name}'.", nameof(name)),
    };
}
