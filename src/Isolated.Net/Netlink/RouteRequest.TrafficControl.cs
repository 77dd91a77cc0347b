using System.Globalization;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Netlink;

// Traffic control requests: clsact, tbf and netem qdiscs, BPF filters (tc qdisc/filter ...).
internal sealed partial class RouteRequest
{
    // Equivalent to: tc qdisc add dev IFINDEX clsact
    public static RouteRequest AddClsact(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("adding clsact qdisc to", index), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, TrafficControlHeader(index, TcHandle(TC_H_CLSACT, 0), TC_H_CLSACT, 0));
            message.AddString(TCA_KIND, "clsact");
        });
    }

    // Equivalent to: tc qdisc del dev IFINDEX clsact
    public static RouteRequest DeleteClsact(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("deleting clsact qdisc from", index), (writer, sequence) =>
            writer.BeginMessage(RTM_DELQDISC, ChangeFlags, sequence, TrafficControlHeader(index, TcHandle(TC_H_CLSACT, 0), TC_H_CLSACT, 0)));
    }

    // Equivalent to: tc qdisc del dev IFINDEX root
    public static RouteRequest DeleteRootQdisc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        return new(Describe("deleting the root qdisc of", index), (writer, sequence) =>
            writer.BeginMessage(RTM_DELQDISC, ChangeFlags, sequence, TrafficControlHeader(index, 0, TC_H_ROOT, 0)));
    }

    // Equivalent to: tc qdisc add dev IFINDEX root handle 1: tbf rate RATEbit burst BURST limit LIMIT
    // The rate's link layer is Ethernet, so the kernel needs no rate table (TCA_TBF_RTAB); the bucket
    // goes as TCA_TBF_BURST in bytes (and in PARMS as ticks for kernels before 3.13).
    public static RouteRequest AddTokenBucket(int index, long bitsPerSecond, int burstBytes, int limitBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitsPerSecond, 8);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burstBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        ulong bytesPerSecond = (ulong)bitsPerSecond / 8;
        bool rate64 = bytesPerSecond >= uint.MaxValue;
        var options = new tc_tbf_qopt
        {
            rate = new tc_ratespec { linklayer = TC_LINKLAYER_ETHERNET, rate = rate64 ? uint.MaxValue : (uint)bytesPerSecond },
            limit = (uint)limitBytes,
            buffer = NanosecondsToTicks((ulong)((UInt128)(ulong)burstBytes * 1_000_000_000 / bytesPerSecond)),
        };
        return new(string.Create(CultureInfo.InvariantCulture, $"adding tbf qdisc (rate {bitsPerSecond} bit/s, burst {burstBytes} B, limit {limitBytes} B) to link #{index}"), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, TrafficControlHeader(index, TcHandle(1u << 16, 0), TC_H_ROOT, 0));
            message.AddString(TCA_KIND, "tbf");
            var nested = message.AddAttribute(TCA_OPTIONS);
            nested.AddAttribute(TCA_TBF_PARMS, options);
            if (rate64)
            {
                nested.AddAttribute(TCA_TBF_RATE64, bytesPerSecond);
            }
            nested.AddAttribute(TCA_TBF_BURST, (uint)burstBytes);
        });
    }

    // Equivalent to: tc qdisc add dev IFINDEX {root handle 1: | parent 1:1 handle 10:} netem limit N
    //                [delay LATENCY [JITTER]] [duplicate D%] [reorder R% gap 1] [seed SEED]
    // netem's TCA_OPTIONS is a struct tc_netem_qopt followed by attributes, not a plain nest.
    public static RouteRequest AddNetem(int index, bool underTokenBucket, NetemSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        ulong latency = (ulong)settings.Latency.Ticks * 100;
        ulong jitter = (ulong)settings.Jitter.Ticks * 100;
        var options = new tc_netem_qopt
        {
            latency = NanosecondsToTicks(latency),
            jitter = NanosecondsToTicks(jitter),
            limit = (uint)settings.LimitPackets,
            duplicate = Probability(settings.DuplicatePercent),
            gap = settings.ReorderPercent > 0 ? 1u : 0u, // as tc: without a gap, netem delays every packet and reorders none
        };
        return new($"adding netem qdisc ({settings}) to link #{index.ToString(CultureInfo.InvariantCulture)}", (writer, sequence) =>
        {
            var header = underTokenBucket
                ? TrafficControlHeader(index, TcHandle(10u << 16, 0), TcHandle(1u << 16, 1), 0)
                : TrafficControlHeader(index, TcHandle(1u << 16, 0), TC_H_ROOT, 0);
            var message = writer.BeginMessage(RTM_NEWQDISC, CreateFlags, sequence, header);
            message.AddString(TCA_KIND, "netem");
            var nested = message.AddAttribute(TCA_OPTIONS, options);
            if (settings.ReorderPercent > 0)
            {
                nested.AddAttribute(TCA_NETEM_REORDER, new tc_netem_reorder { probability = Probability(settings.ReorderPercent) });
            }
            nested.AddAttribute(TCA_NETEM_LATENCY64, latency);
            nested.AddAttribute(TCA_NETEM_JITTER64, jitter);
            nested.AddAttribute(TCA_NETEM_PRNG_SEED, settings.Seed);
        });
    }

    // Equivalent to: tc filter add dev IFINDEX {ingress|egress} pref PRIO handle 1 protocol all bpf direct-action fd FD name NAME
    public static RouteRequest AddBpfFilter(int index, bool ingress, ushort priority, SafeHandle program, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfZero(priority);
        ArgumentNullException.ThrowIfNull(program);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(string.Create(CultureInfo.InvariantCulture, $"attaching BPF filter '{name}' to the {(ingress ? "ingress" : "egress")} of link #{index}"), (writer, sequence) =>
        {
            var message = writer.BeginMessage(RTM_NEWTFILTER, CreateFlags, sequence, TrafficControlHeader(index, 1, ClsactHook(ingress), FilterInfo(priority)));
            message.AddString(TCA_KIND, "bpf");
            var nested = message.AddAttribute(TCA_OPTIONS);
            nested.AddAttribute(TCA_BPF_FD, (uint)program.DangerousGetHandle());
            nested.AddString(TCA_BPF_NAME, name);
            nested.AddAttribute(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        }, isDump: false, program);
    }

    // Equivalent to: tc filter del dev IFINDEX {ingress|egress} pref PRIO protocol all
    public static RouteRequest DeleteFilter(int index, bool ingress, ushort priority)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ArgumentOutOfRangeException.ThrowIfZero(priority);
        return new(string.Create(CultureInfo.InvariantCulture, $"deleting the {(ingress ? "ingress" : "egress")} filters of priority {priority} from link #{index}"), (writer, sequence) =>
            writer.BeginMessage(RTM_DELTFILTER, ChangeFlags, sequence, TrafficControlHeader(index, 0, ClsactHook(ingress), FilterInfo(priority))));
    }

    private static tcmsg TrafficControlHeader(int index, uint handle, uint parent, uint info) => new()
    {
        tcm_family = AF_UNSPEC,
        tcm_ifindex = index,
        tcm_handle = handle,
        tcm_parent = parent,
        tcm_info = info,
    };

    private static uint ClsactHook(bool ingress) => TcHandle(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);

    // TC_H_MAKE(priority << 16, protocol): the protocol in network order, as the kernel compares it with skb->protocol.
    private static uint FilterInfo(ushort priority) =>
        ((uint)priority << 16) | (BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(ETH_P_ALL) : ETH_P_ALL);

    // A percentage as netem's 32-bit probability (0 = never, UINT32_MAX = always).
    private static uint Probability(double percent) => (uint)Math.Round(percent / 100.0 * uint.MaxValue);
}
