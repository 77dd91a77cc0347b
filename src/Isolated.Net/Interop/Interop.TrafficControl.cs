using System.Runtime.InteropServices;

namespace Isolated.Net.Interop;

// Traffic-control payload structs (linux/pkt_sched.h), with their C names, in host byte order.
internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    public struct tc_ratespec
    {
        public byte cell_log;
        public byte linklayer;
        public ushort overhead;
        public short cell_align;
        public ushort mpu;
        public uint rate; // bytes per second; ~0U when TCA_*_RATE64 carries the real value
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct tc_tbf_qopt
    {
        public tc_ratespec rate;
        public tc_ratespec peakrate;
        public uint limit;  // queue length in bytes
        public uint buffer; // bucket size as transmit time in psched ticks (64 ns)
        public uint mtu;    // peak-rate bucket, in ticks; unused without a peak rate
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct tc_netem_qopt
    {
        public uint latency;   // psched ticks; TCA_NETEM_LATENCY64 carries nanoseconds
        public uint limit;     // packets
        public uint loss;      // probability scaled to 0..UINT32_MAX
        public uint gap;
        public uint duplicate; // probability scaled to 0..UINT32_MAX
        public uint jitter;    // psched ticks; TCA_NETEM_JITTER64 carries nanoseconds
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct tc_netem_reorder
    {
        public uint probability;
        public uint correlation;
    }

    /// <summary>TC_H_MAKE: a qdisc or class handle from its major (high 16 bits) and minor parts.</summary>
    public static uint TcHandle(uint major, uint minor) => (major & 0xFFFF0000u) | (minor & 0x0000FFFFu);

    /// <summary>Psched ticks (64 ns, what /proc/net/psched reports on every modern kernel) for a duration in nanoseconds.</summary>
    public static uint NanosecondsToTicks(ulong nanoseconds) => (uint)Math.Min(nanoseconds >> 6, uint.MaxValue);
}
