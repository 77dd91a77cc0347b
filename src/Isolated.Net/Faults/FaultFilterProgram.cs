using System.Buffers.Binary;
using static Isolated.Net.Faults.BpfAssembler;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Faults;

// The classifier that partitions and loses packets, attached in direct-action mode on a clsact qdisc's
// ingress hook (the kernel here has no tc actions, and nftables has no seedable random source). It
// works at the receiving end, so a sender never learns of a drop, as on a real wire: TCP retransmits
// instead of seeing a local send failure, and UDP's sendto succeeds.
//
// For IPv4 and IPv6 packets only (ARP and the rest always pass):
// 1. cut map (hash, 16-byte key: the IPv6 source, or the IPv4 source as ::ffff:a.b.c.d) — a hit is
//    dropped: the sender is on the other side of a partition;
// 2. loss map (array of one LossState) — when its threshold is non-zero, the packet takes the next
//    number from an atomic counter and is dropped as LossPattern decides for that number.
// Returns TC_ACT_SHOT (drop) or TC_ACT_OK (pass).
internal static class FaultFilterProgram
{
    public const string ProgramName = "isonet_fault";
    public const string CutMapName = "isonet_cut";
    public const string LossMapName = "isonet_loss";
    public const string License = "Dual MIT/GPL"; // no GPL-only helper is called; the kernel accepts either
    public const int CutKeySize = 16;
    public const int CutValueSize = 4;
    public const int CutMapEntries = 4096;
    public const int LossValueSize = 24; // struct { u64 counter; u64 seed; u64 threshold; }

    private const int EthernetHeader = 14;
    private const int IPv4SourceOffset = EthernetHeader + 12;
    private const int IPv6SourceOffset = EthernetHeader + 8;
    private const short CutKey = -16;
    private const short LossKey = -20;

    /// <summary>The program for a receiving interface: with the host's cut map, the direction's loss map, or both.</summary>
    public static bpf_insn[] Build(int? cutMapFd, int? lossMapFd)
    {
        if (cutMapFd is null && lossMapFd is null)
        {
            throw new ArgumentException("A fault filter needs a cut map, a loss map or both.");
        }
        var asm = new BpfAssembler();
        asm.Mov(R6, R1); // keep the context: helper calls clobber r1-r5
        asm.LoadWord(R0, R6, SKB_PROTOCOL_OFFSET);
        if (cutMapFd is null)
        {
            asm.JumpIfEqual(R0, NetworkOrder(ETH_P_IP), "loss");
            asm.JumpIfEqual(R0, NetworkOrder(ETH_P_IPV6), "loss");
            asm.Jump("pass");
        }
        else
        {
            asm.JumpIfEqual(R0, NetworkOrder(ETH_P_IP), "ipv4");
            asm.JumpIfEqual(R0, NetworkOrder(ETH_P_IPV6), "ipv6");
            asm.Jump("pass");

            asm.Label("ipv4"); // key = ::ffff:SOURCE
            asm.StoreDoubleWordImmediate(R10, CutKey, 0);
            asm.StoreWordImmediate(R10, CutKey + 8, unchecked((int)0xFFFF0000)); // bytes 00 00 ff ff
            LoadBytes(asm, IPv4SourceOffset, CutKey + 12, 4);
            asm.Jump("lookup");

            asm.Label("ipv6"); // key = SOURCE
            LoadBytes(asm, IPv6SourceOffset, CutKey, 16);

            asm.Label("lookup");
            asm.LoadMapFd(R1, cutMapFd.Value);
            asm.Mov(R2, R10);
            asm.Add(R2, CutKey);
            asm.Call(BPF_FUNC_map_lookup_elem);
            asm.JumpIfNotEqual(R0, 0, "drop");
            if (lossMapFd is null)
            {
                asm.Jump("pass");
            }
        }

        if (lossMapFd is int lossFd)
        {
            asm.Label("loss");
            asm.StoreWordImmediate(R10, LossKey, 0);
            asm.LoadMapFd(R1, lossFd);
            asm.Mov(R2, R10);
            asm.Add(R2, LossKey);
            asm.Call(BPF_FUNC_map_lookup_elem);
            asm.JumpIfEqual(R0, 0, "pass");
            asm.Mov(R7, R0);
            asm.LoadDoubleWord(R8, R7, 16); // threshold
            asm.JumpIfEqual(R8, 0, "pass");
            asm.MovImmediate(R2, 1);
            asm.AtomicFetchAdd(R7, R2, 0);  // r2 = this packet's number
            asm.LoadDoubleWord(R3, R7, 8);  // seed
            asm.Add(R2, 1);                 // z = seed + (n + 1) * golden
            asm.LoadImmediate64(R4, LossPattern.Golden);
            asm.MulReg(R2, R4);
            asm.AddReg(R2, R3);
            Mix(asm, 30, LossPattern.Mix1);
            Mix(asm, 27, LossPattern.Mix2);
            asm.Mov(R4, R2);                // z ^= z >> 31
            asm.Rsh(R4, 31);
            asm.XorReg(R2, R4);
            asm.Rsh(R2, 32);
            asm.JumpIfLess(R2, R8, "drop");
        }

        asm.Label("pass");
        asm.MovImmediate(R0, TC_ACT_OK);
        asm.Exit();
        asm.Label("drop");
        asm.MovImmediate(R0, TC_ACT_SHOT);
        asm.Exit();
        return asm.Build();
    }

    // bpf_skb_load_bytes(skb, offset, r10 + stackOffset, length); a short packet passes untouched.
    private static void LoadBytes(BpfAssembler asm, int packetOffset, int stackOffset, int length)
    {
        asm.Mov(R1, R6);
        asm.MovImmediate(R2, packetOffset);
        asm.Mov(R3, R10);
        asm.Add(R3, stackOffset);
        asm.MovImmediate(R4, length);
        asm.Call(BPF_FUNC_skb_load_bytes);
        asm.JumpIfNotEqual(R0, 0, "pass");
    }

    // z = (z ^ (z >> shift)) * multiplier, with z in r2 and r4 as scratch.
    private static void Mix(BpfAssembler asm, int shift, ulong multiplier)
    {
        asm.Mov(R4, R2);
        asm.Rsh(R4, shift);
        asm.XorReg(R2, R4);
        asm.LoadImmediate64(R4, multiplier);
        asm.MulReg(R2, R4);
    }

    // __sk_buff.protocol holds the EtherType as it sits in the frame (big-endian), read as a native integer.
    private static int NetworkOrder(ushort etherType) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(etherType) : etherType;
}
