using System.Runtime.InteropServices;
using Isolated.Net.Faults;
using Isolated.Net.Interop;
using Isolated.Net.Netlink;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net;

/// <summary>
/// What this kernel can do for fault injection, found by trying each feature once in a throwaway
/// network namespace (the answer is cached for the process). Tests use it to skip with the reason on
/// kernels that lack a feature.
/// </summary>
public static class KernelFeatures
{
    private const int Loopback = 1; // lo's index in a fresh namespace

    private static readonly Lazy<KernelFeature> s_netem = new(() => Probe("sch_netem",
        "latency, jitter, duplication and reordering (netem qdisc)", ProbeNetem));

    private static readonly Lazy<KernelFeature> s_tokenBucket = new(() => Probe("sch_tbf",
        "bandwidth limits (tbf qdisc)", ProbeTokenBucket));

    private static readonly Lazy<KernelFeature> s_bpfClassifier = new(() => Probe("cls_bpf",
        "partitions and packet loss (a BPF program in direct-action mode on a clsact qdisc)", ProbeBpfClassifier));

    private static readonly Lazy<KernelFeature> s_nftables = new(() => Probe("nf_tables",
        "cuts: partitions, isolation, one-way, per-port and rejecting cuts (nftables over NETLINK_NETFILTER)", ProbeNftables));

    /// <summary>The netem qdisc (module sch_netem), needed for latency, jitter, duplication and reordering.</summary>
    public static KernelFeature Netem => s_netem.Value;

    /// <summary>The token bucket qdisc (module sch_tbf), needed for bandwidth limits.</summary>
    public static KernelFeature TokenBucket => s_tokenBucket.Value;

    /// <summary>bpf(2), the clsact qdisc and the BPF classifier in direct-action mode, needed for partitions and loss.</summary>
    public static KernelFeature BpfClassifier => s_bpfClassifier.Value;

    /// <summary>nf_tables over NETLINK_NETFILTER, the mechanism of cuts (partitions, isolation, one-way, per-port and rejecting cuts) wherever it works, root or rootless.</summary>
    public static KernelFeature Nftables => s_nftables.Value;

    private static KernelFeature Probe(string module, string purpose, Action<NetworkNamespace> probe)
    {
        if (!NetworkPrivileges.AreSufficient)
        {
            return new KernelFeature(module, purpose, $"could not be probed: {NetworkPrivileges.MissingReason ?? NetworkPrivileges.Requirement}");
        }
        try
        {
            using var ns = NetworkNamespace.Create();
            probe(ns);
            return new KernelFeature(module, purpose, missingReason: null);
        }
        catch (NetworkOperationException ex) when (ex.Errno is EPERM or EACCES)
        {
            // The kernel has it, this process may not use it (bpf(2) under unprivileged_bpf_disabled in
            // rootless mode): a different cause with a different fix.
            return new KernelFeature(module, purpose, ex.Message, isDenied: true);
        }
        catch (NetworkOperationException ex)
        {
            return new KernelFeature(module, purpose, ex.Message);
        }
    }

    // Equivalent to: tc qdisc add dev lo root handle 1: netem delay 1ms
    private static void ProbeNetem(NetworkNamespace ns) =>
        ns.Netlink.Execute(RouteRequest.AddNetem(Loopback, underTokenBucket: false, new NetemSettings { Latency = TimeSpan.FromMilliseconds(1) }));

    // Equivalent to: tc qdisc add dev lo root handle 1: tbf rate 1mbit burst 3028 limit 65536
    private static void ProbeTokenBucket(NetworkNamespace ns) =>
        ns.Netlink.Execute(RouteRequest.AddTokenBucket(Loopback, 1_000_000, 3028, 65536));

    // Equivalent to: tc qdisc add dev lo clsact; tc filter add dev lo ingress bpf direct-action obj <the fault filter>
    // The very program partitions and loss use, so a verifier that refuses it shows here.
    private static void ProbeBpfClassifier(NetworkNamespace ns)
    {
        using var cut = BpfSyscalls.CreateMap(BPF_MAP_TYPE_HASH, FaultFilterProgram.CutKeySize, FaultFilterProgram.CutValueSize, 1, FaultFilterProgram.CutMapName);
        using var loss = BpfSyscalls.CreateMap(BPF_MAP_TYPE_ARRAY, sizeof(uint), FaultFilterProgram.LossValueSize, 1, FaultFilterProgram.LossMapName);
        using var program = BpfSyscalls.LoadClassifier(FaultFilterProgram.Build(cut.Fd, loss.Fd), FaultFilterProgram.ProgramName, FaultFilterProgram.License);
        ns.Netlink.Execute(RouteRequest.AddClsact(Loopback), RouteRequest.AddBpfFilter(Loopback, ingress: true, 1, program, FaultFilterProgram.ProgramName));
    }

    // Equivalent to: nft list ruleset (just the generation: NFT_MSG_GETGEN)
    private static unsafe void ProbeNftables(NetworkNamespace ns)
    {
        const string operation = "asking nf_tables for its generation (NETLINK_NETFILTER NFT_MSG_GETGEN)";
        int fd = ns.Run(() => LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_NETFILTER));
        if (fd < 0)
        {
            throw ErrorFromLastErrno(operation + " (socket)");
        }
        using var socket = new NetlinkSocketHandle(fd);
        var timeout = new timeval { tv_sec = 5 };
        CheckIo(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, &timeout, (uint)sizeof(timeval)), operation);
        using var writer = new NetlinkMessageWriter();
        writer.BeginMessage((ushort)((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN), NLM_F_REQUEST | NLM_F_ACK, 1, new nfgenmsg { nfgen_family = AF_UNSPEC, version = NFNETLINK_V0 });
        var request = writer.WrittenSpan;
        fixed (byte* data = request)
        {
            CheckIo((int)LibC.send(fd, data, request.Length, 0), operation + " (send)");
        }
        var reply = new byte[8192];
        fixed (byte* data = reply)
        {
            int received = CheckIo((int)LibC.recv(fd, data, reply.Length, 0), operation + " (recv)");
            var header = MemoryMarshal.Read<nlmsghdr>(reply);
            if (received < sizeof(nlmsghdr) + sizeof(int))
            {
                throw Error(operation + " (short reply)", EINVAL);
            }
            if (header.nlmsg_type == NLMSG_ERROR)
            {
                int error = -MemoryMarshal.Read<int>(reply.AsSpan(sizeof(nlmsghdr)));
                if (error != 0)
                {
                    throw Error(operation, error);
                }
            }
            else if (header.nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
            {
                throw Error($"{operation} (unexpected reply type {header.nlmsg_type})", EINVAL);
            }
        }
    }
}

/// <summary>One kernel feature and whether this kernel has it.</summary>
public sealed class KernelFeature
{
    internal KernelFeature(string module, string purpose, string? missingReason, bool isDenied = false)
    {
        Module = module;
        Purpose = purpose;
        MissingReason = missingReason;
        IsDenied = missingReason is not null && isDenied;
    }

    /// <summary>The kernel module (or built-in) that provides it, e.g. "sch_netem".</summary>
    public string Module { get; }

    /// <summary>What the library uses it for.</summary>
    public string Purpose { get; }

    /// <summary>True when the probe worked.</summary>
    public bool IsAvailable => MissingReason is null;

    /// <summary>
    /// True when the kernel has the feature but refused it to this process (EPERM/EACCES), e.g. bpf(2)
    /// in rootless mode under kernel.unprivileged_bpf_disabled; <see cref="MissingReason"/> names the setting.
    /// </summary>
    public bool IsDenied { get; }

    /// <summary>Why the feature is missing or denied (the failed probe's error), or null when it is available.</summary>
    public string? MissingReason { get; }

    /// <summary>A reason to skip a test that needs the feature, or null when it is available.</summary>
    public string? SkipReason => MissingReason is null ? null
        : IsDenied ? $"{Module} is denied to this process, needed for {Purpose}: {MissingReason}"
        : $"this kernel lacks {Module}, needed for {Purpose}: {MissingReason}";

    /// <inheritdoc />
    public override string ToString() => IsAvailable ? $"{Module}: available" : $"{Module}: {(IsDenied ? "denied" : "missing")} ({MissingReason})";
}
