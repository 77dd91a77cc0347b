using Isolated.Net.Netlink;
using Isolated.Net.Tests.Netlink;
using Xunit;
using static Isolated.Net.Tests.Netlink.WireBytes;

namespace Isolated.Net.Tests.Faults;

// The traffic-control requests, byte for byte, against layouts worked out by hand from the UAPI
// headers: tcmsg {u8 family; u8 pad; u16 pad; s32 ifindex; u32 handle; u32 parent; u32 info},
// tc_ratespec {u8 cell_log, linklayer; u16 overhead; s16 cell_align; u16 mpu; u32 rate}, tc_tbf_qopt
// {ratespec rate, peakrate; u32 limit, buffer, mtu}, tc_netem_qopt {u32 latency, limit, loss, gap,
// duplicate, jitter}. Handles: clsact ffff:0 under ffff:fff1, its ingress hook ffff:fff2; root
// ffffffff. RTM_NEWQDISC 36, DELQDISC 37, NEWTFILTER 44, DELTFILTER 45. Psched ticks are 64 ns.
public class TrafficControlGoldenTests
{
    private static void AssertBytes(byte[] expected, RouteRequest request) =>
        Assert.Equal(Show(expected), Show(Encode(request)));

    [Fact]
    public void Clsact_is_added_under_ffff_fff1_with_its_kind()
    {
        AssertBytes(Hex(
            "30000000 2400 0506 01000000 00000000", // len=48 RTM_NEWQDISC REQUEST|ACK|EXCL|CREATE
            "00 00 0000 03000000 0000ffff f1ffffff 00000000", // ifindex 3, handle ffff:0, parent ffff:fff1
            "0b00 0100 636c7361637400 00"),          // TCA_KIND "clsact\0" (+1 pad)
            RouteRequest.AddClsact(3));
    }

    [Fact]
    public void Clsact_and_root_qdisc_deletions()
    {
        AssertBytes(Hex(
            "24000000 2500 0500 01000000 00000000", // len=36 RTM_DELQDISC REQUEST|ACK
            "00 00 0000 03000000 0000ffff f1ffffff 00000000"),
            RouteRequest.DeleteClsact(3));
        AssertBytes(Hex(
            "24000000 2500 0500 01000000 00000000",
            "00 00 0000 03000000 00000000 ffffffff 00000000"), // handle 0, parent root
            RouteRequest.DeleteRootQdisc(3));
    }

    [Fact]
    public void Token_bucket_of_one_megabit_with_burst_in_bytes_and_ticks()
    {
        // 1 Mbit/s = 125000 B/s = 0x0001e848; 3028 B take 24.224 ms = 378500 ticks = 0x0005c684.
        var request = RouteRequest.AddTokenBucket(3, 1_000_000, burstBytes: 3028, limitBytes: 65536);
        AssertBytes(Hex(
            "60000000 2400 0506 01000000 00000000", // len=96
            "00 00 0000 03000000 00000100 ffffffff 00000000", // handle 1:0, parent root
            "0800 0100 74626600",                    // TCA_KIND "tbf\0"
            "3400 0200",                             // TCA_OPTIONS len=52
            "2800 0100",                             //   TCA_TBF_PARMS len=40
            "00 01 0000 0000 0000 48e80100",         //     rate: linklayer ethernet, 125000 B/s
            "00 00 0000 0000 0000 00000000",         //     peakrate: none
            "00000100 84c60500 00000000",            //     limit 65536, buffer 378500 ticks, mtu 0
            "0800 0600 d40b0000"),                   //   TCA_TBF_BURST 3028
            request);
        Assert.Equal("adding tbf qdisc (rate 1000000 bit/s, burst 3028 B, limit 65536 B) to link #3", request.Operation);
    }

    [Fact]
    public void Token_bucket_above_four_gigabytes_per_second_carries_rate64()
    {
        // 40 Gbit/s = 5e9 B/s = 0x12a05f200: the 32-bit field saturates, TCA_TBF_RATE64 has it.
        // 500000 B take 100 us = 1562 ticks = 0x061a.
        AssertBytes(Hex(
            "6c000000 2400 0506 01000000 00000000", // len=108
            "00 00 0000 03000000 00000100 ffffffff 00000000",
            "0800 0100 74626600",
            "4000 0200",                             // TCA_OPTIONS len=64
            "2800 0100",
            "00 01 0000 0000 0000 ffffffff",
            "00 00 0000 0000 0000 00000000",
            "40420f00 1a060000 00000000",            // limit 1000000, buffer 1562
            "0c00 0400 00f2052a01000000",            //   TCA_TBF_RATE64 5000000000
            "0800 0600 20a10700"),                   //   TCA_TBF_BURST 500000
            RouteRequest.AddTokenBucket(3, 40_000_000_000, burstBytes: 500_000, limitBytes: 1_000_000));
    }

    [Fact]
    public void Netem_at_the_root_with_delay_jitter_reorder_and_seed()
    {
        var settings = new NetemSettings
        {
            Latency = TimeSpan.FromMilliseconds(100),
            Jitter = TimeSpan.FromMilliseconds(10),
            ReorderPercent = 25,
            Seed = 42,
        };
        AssertBytes(Hex(
            "7c000000 2400 0506 01000000 00000000", // len=124
            "00 00 0000 03000000 00000100 ffffffff 00000000",
            "0a00 0100 6e6574656d00 0000",           // TCA_KIND "netem\0"
            "4c00 0200",                             // TCA_OPTIONS len=76: the struct, then attributes
            "84d71700 e8030000 00000000 01000000 00000000 5a620200", // latency 1562500 ticks, limit 1000, loss 0, gap 1, duplicate 0, jitter 156250 ticks
            "0c00 0300 00000040 00000000",           //   TCA_NETEM_REORDER 25% (0x40000000), correlation 0
            "0c00 0a00 00e1f50500000000",            //   TCA_NETEM_LATENCY64 100000000 ns
            "0c00 0b00 8096980000000000",            //   TCA_NETEM_JITTER64 10000000 ns
            "0c00 0e00 2a00000000000000"),           //   TCA_NETEM_PRNG_SEED 42
            RouteRequest.AddNetem(3, underTokenBucket: false, settings));
    }

    [Fact]
    public void Netem_under_a_token_bucket_is_10_0_under_1_1()
    {
        var bytes = Encode(RouteRequest.AddNetem(3, underTokenBucket: true, new NetemSettings { Latency = TimeSpan.FromMilliseconds(1), DuplicatePercent = 100 }));
        Assert.Equal(Show(Hex("00 00 0000 03000000 00000a00 01000100 00000000")), Show(bytes.AsSpan(16, 20)));
        Assert.Equal(Show(Hex("ffffffff")), Show(bytes.AsSpan(16 + 20 + 12 + 4 + 16, 4))); // duplicate 100% = UINT32_MAX
    }

    [Fact]
    public void Bpf_filter_in_direct_action_mode_on_the_ingress_hook()
    {
        var request = RouteRequest.AddBpfFilter(3, ingress: true, 1, new FakeFd(9), "isonet_fault");
        AssertBytes(Hex(
            "54000000 2c00 0506 01000000 00000000", // len=84 RTM_NEWTFILTER
            "00 00 0000 03000000 01000000 f2ffffff 00030100", // handle 1, parent ffff:fff2, info = pref 1 << 16 | htons(ETH_P_ALL)
            "0800 0100 62706600",                    // TCA_KIND "bpf\0"
            "2800 0200",                             // TCA_OPTIONS len=40
            "0800 0600 09000000",                    //   TCA_BPF_FD 9
            "1100 0700 69736f6e65745f6661756c7400 000000", // TCA_BPF_NAME "isonet_fault\0"
            "0800 0800 01000000"),                   //   TCA_BPF_FLAGS ACT_DIRECT
            request);
        Assert.Equal("attaching BPF filter 'isonet_fault' to the ingress of link #3", request.Operation);
    }

    [Fact]
    public void Filter_deletion_by_priority_on_the_egress_hook()
    {
        AssertBytes(Hex(
            "24000000 2d00 0500 01000000 00000000", // len=36 RTM_DELTFILTER
            "00 00 0000 03000000 00000000 f3ffffff 00030100"), // parent ffff:fff3 (egress)
            RouteRequest.DeleteFilter(3, ingress: false, 1));
    }

    [Fact]
    public void Bad_arguments_are_refused_before_any_message_is_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.AddClsact(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.AddTokenBucket(3, 7, 3028, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.AddTokenBucket(3, 1_000_000, 0, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.AddBpfFilter(3, true, 0, new FakeFd(9), "x"));
        Assert.Throws<ArgumentException>(() => RouteRequest.AddNetem(3, false, new NetemSettings { ReorderPercent = 10 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouteRequest.AddNetem(3, false, new NetemSettings { DuplicatePercent = 101 }));
    }
}
