using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Tests.Faults;

public sealed class KernelFeaturesTests
{
    // tc itself, in a namespace of our own, is the oracle for what the kernel has.
    private static bool TcAccepts(params string[] qdisc)
    {
        using var ns = NetworkNamespace.Create();
        return Oracle.Exec("nsenter", ["--net=" + ns.ProcPath, "tc", "qdisc", "add", "dev", "lo", "root", .. qdisc]).ExitCode == 0;
    }

    [PrivilegedFact]
    public void Netem_and_tbf_detection_agree_with_tc()
    {
        Assert.Equal(TcAccepts("netem", "delay", "1ms"), KernelFeatures.Netem.IsAvailable);
        Assert.Equal(TcAccepts("tbf", "rate", "1mbit", "burst", "3028", "limit", "65536"), KernelFeatures.TokenBucket.IsAvailable);
        if (!KernelFeatures.Netem.IsAvailable)
        {
            Assert.Contains("sch_netem", KernelFeatures.Netem.SkipReason, StringComparison.Ordinal);
            Assert.Contains("netem", KernelFeatures.Netem.MissingReason, StringComparison.Ordinal);
        }
    }

    [PrivilegedFact]
    public void Every_feature_answers_consistently_and_is_cached()
    {
        foreach (var feature in new[] { KernelFeatures.Netem, KernelFeatures.TokenBucket, KernelFeatures.BpfClassifier, KernelFeatures.Nftables })
        {
            Assert.Equal(feature.IsAvailable, feature.MissingReason is null);
            Assert.Equal(feature.IsAvailable, feature.SkipReason is null);
            Assert.StartsWith(feature.Module, feature.ToString(), StringComparison.Ordinal);
        }
        Assert.Same(KernelFeatures.BpfClassifier, KernelFeatures.BpfClassifier);
    }

    [PrivilegedFact(Tools = "nft")]
    public void Nftables_detection_agrees_with_nft()
    {
        using var ns = NetworkNamespace.Create();
        bool nft = Oracle.Exec("nsenter", "--net=" + ns.ProcPath, "nft", "list", "ruleset").ExitCode == 0;
        Assert.Equal(nft, KernelFeatures.Nftables.IsAvailable);
    }
}
