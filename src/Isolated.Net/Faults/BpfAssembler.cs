using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Faults;

// Writes eBPF instructions by hand (linux/bpf.h encodings: class | size | mode, class | op | source)
// with forward jumps to named labels, resolved when the program is finished. Only the instructions
// the fault filter needs are here.
internal sealed class BpfAssembler
{
    public const int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R7 = 7, R8 = 8, R10 = 10;

    // Instruction classes, sizes, modes, operations and sources.
    private const byte LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, JMP = 0x05, ALU64 = 0x07;
    private const byte W = 0x00, DW = 0x18;
    private const byte IMM = 0x00, MEM = 0x60, ATOMIC = 0xc0;
    private const byte K = 0x00, X = 0x08;
    private const byte ADD = 0x00, MUL = 0x20, RSH = 0x70, XOR = 0xa0, MOV = 0xb0;
    private const byte JA = 0x00, JEQ = 0x10, JNE = 0x50, JLT = 0xa0, CALL = 0x80, EXIT = 0x90;
    private const int BPF_FETCH = 0x01;
    private const byte BPF_PSEUDO_MAP_FD = 1;

    private readonly List<bpf_insn> _code = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<(int Index, string Label)> _jumps = [];

    public int Count => _code.Count;

    public void Label(string name) => _labels.Add(name, _code.Count);

    // r_dst = r_src
    public void Mov(int dst, int src) => Emit(ALU64 | MOV | X, dst, src, 0, 0);

    // r_dst = imm (sign-extended 32-bit)
    public void MovImmediate(int dst, int imm) => Emit(ALU64 | MOV | K, dst, 0, 0, imm);

    // r_dst += imm
    public void Add(int dst, int imm) => Emit(ALU64 | ADD | K, dst, 0, 0, imm);

    // r_dst += r_src
    public void AddReg(int dst, int src) => Emit(ALU64 | ADD | X, dst, src, 0, 0);

    // r_dst *= r_src
    public void MulReg(int dst, int src) => Emit(ALU64 | MUL | X, dst, src, 0, 0);

    // r_dst ^= r_src
    public void XorReg(int dst, int src) => Emit(ALU64 | XOR | X, dst, src, 0, 0);

    // r_dst >>= imm (logical)
    public void Rsh(int dst, int imm) => Emit(ALU64 | RSH | K, dst, 0, 0, imm);

    // r_dst = *(u32 *)(r_src + off)
    public void LoadWord(int dst, int src, short off) => Emit(LDX | MEM | W, dst, src, off, 0);

    // r_dst = *(u64 *)(r_src + off)
    public void LoadDoubleWord(int dst, int src, short off) => Emit(LDX | MEM | DW, dst, src, off, 0);

    // *(u32 *)(r_dst + off) = imm
    public void StoreWordImmediate(int dst, short off, int imm) => Emit(ST | MEM | W, dst, 0, off, imm);

    // *(u64 *)(r_dst + off) = imm (sign-extended)
    public void StoreDoubleWordImmediate(int dst, short off, int imm) => Emit(ST | MEM | DW, dst, 0, off, imm);

    // r_src = atomic_fetch_add((u64 *)(r_dst + off), r_src)
    public void AtomicFetchAdd(int dst, int src, short off) => Emit(STX | ATOMIC | DW, dst, src, off, ADD | BPF_FETCH);

    // r_dst = imm64 (two instruction slots)
    public void LoadImmediate64(int dst, ulong value)
    {
        Emit(LD | DW | IMM, dst, 0, 0, unchecked((int)(uint)value));
        Emit(0, 0, 0, 0, unchecked((int)(uint)(value >> 32)));
    }

    // r_dst = map (the kernel swaps the fd for the map's address at load time)
    public void LoadMapFd(int dst, int mapFd)
    {
        Emit(LD | DW | IMM, dst, BPF_PSEUDO_MAP_FD, 0, mapFd);
        Emit(0, 0, 0, 0, 0);
    }

    public void Call(int helper) => Emit(JMP | CALL, 0, 0, 0, helper);

    public void Exit() => Emit(JMP | EXIT, 0, 0, 0, 0);

    public void Jump(string label) => EmitJump(JMP | JA | K, 0, 0, 0, label);

    // if r_dst == imm goto label
    public void JumpIfEqual(int dst, int imm, string label) => EmitJump(JMP | JEQ | K, dst, 0, imm, label);

    // if r_dst != imm goto label
    public void JumpIfNotEqual(int dst, int imm, string label) => EmitJump(JMP | JNE | K, dst, 0, imm, label);

    // if r_dst < r_src goto label (unsigned)
    public void JumpIfLess(int dst, int src, string label) => EmitJump(JMP | JLT | X, dst, src, 0, label);

    /// <summary>The instructions with every jump offset filled in.</summary>
    public bpf_insn[] Build()
    {
        var code = _code.ToArray();
        foreach (var (index, label) in _jumps)
        {
            if (!_labels.TryGetValue(label, out int target))
            {
                throw new InvalidOperationException($"BPF label '{label}' is never placed.");
            }
            code[index].off = checked((short)(target - index - 1));
        }
        return code;
    }

    private void Emit(int code, int dst, int src, short off, int imm) =>
        _code.Add(new bpf_insn { code = (byte)code, regs = (byte)((src << 4) | dst), off = off, imm = imm });

    private void EmitJump(int code, int dst, int src, int imm, string label)
    {
        _jumps.Add((_code.Count, label));
        Emit(code, dst, src, 0, imm);
    }
}
