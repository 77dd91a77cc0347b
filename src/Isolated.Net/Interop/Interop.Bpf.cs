using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// bpf(2), which Tmds.LibC does not bind: the commands and the parts of union bpf_attr (linux/bpf.h)
// we use, each as its own struct with the C field names. The kernel accepts a shorter attr than it
// knows (the rest reads as zero), so each struct stops at the last field we set.
internal static unsafe partial class Interop
{
    public const int BPF_MAP_CREATE = 0;
    public const int BPF_MAP_LOOKUP_ELEM = 1;
    public const int BPF_MAP_UPDATE_ELEM = 2;
    public const int BPF_MAP_DELETE_ELEM = 3;
    public const int BPF_PROG_LOAD = 5;
    public const int BPF_PROG_TEST_RUN = 10;
    public const int BPF_MAP_GET_FD_BY_ID = 14;
    public const int BPF_OBJ_GET_INFO_BY_FD = 15;

    public const uint BPF_MAP_TYPE_HASH = 1;
    public const uint BPF_MAP_TYPE_ARRAY = 2;
    public const uint BPF_PROG_TYPE_SCHED_CLS = 3;
    public const ulong BPF_ANY = 0;
    public const int BPF_OBJ_NAME_LEN = 16;

    // Helper function ids (enum bpf_func_id).
    public const int BPF_FUNC_map_lookup_elem = 1;
    public const int BPF_FUNC_skb_load_bytes = 26;

    // Offsets in struct __sk_buff, the context a tc program sees.
    public const short SKB_PROTOCOL_OFFSET = 16;

    private static readonly int s_sysBpf = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        Architecture.Arm => 386,
        _ => -1,
    };

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_map_create_attr
    {
        public uint map_type;
        public uint key_size;
        public uint value_size;
        public uint max_entries;
        public uint map_flags;
        public uint inner_map_fd;
        public uint numa_node;
        public fixed byte map_name[BPF_OBJ_NAME_LEN];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_map_elem_attr
    {
        public uint map_fd;
        public uint __pad;
        public ulong key;   // pointer
        public ulong value; // pointer
        public ulong flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_prog_load_attr
    {
        public uint prog_type;
        public uint insn_cnt;
        public ulong insns;   // pointer to struct bpf_insn[]
        public ulong license; // pointer to a C string
        public uint log_level;
        public uint log_size;
        public ulong log_buf; // pointer
        public uint kern_version;
        public uint prog_flags;
        public fixed byte prog_name[BPF_OBJ_NAME_LEN];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_test_run_attr
    {
        public uint prog_fd;
        public uint retval;
        public uint data_size_in;
        public uint data_size_out;
        public ulong data_in;  // pointer
        public ulong data_out; // pointer
        public uint repeat;
        public uint duration;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_get_fd_by_id_attr
    {
        public uint id;
        public uint next_id;
        public uint open_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_info_attr
    {
        public uint bpf_fd;
        public uint info_len;
        public ulong info; // pointer
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_map_info
    {
        public uint type;
        public uint id;
        public uint key_size;
        public uint value_size;
        public uint max_entries;
        public uint map_flags;
        public fixed byte name[BPF_OBJ_NAME_LEN];
    }

    /// <summary>One eBPF instruction (struct bpf_insn): dst_reg in the low nibble of byte 1, src_reg in the high one.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct bpf_insn
    {
        public byte code;
        public byte regs;
        public short off;
        public int imm;
    }

    /// <summary>bpf(2): returns the result (often an fd) or -1 with errno set; retries EINTR.</summary>
    public static int Bpf<TAttr>(int command, ref TAttr attr)
        where TAttr : unmanaged
    {
        if (s_sysBpf < 0)
        {
            throw new PlatformNotSupportedException($"bpf(2) is not mapped for {RuntimeInformation.ProcessArchitecture}");
        }
        fixed (TAttr* p = &attr)
        {
            long result;
            do
            {
                result = (long)LibC.syscall(s_sysBpf, command, (void*)p, sizeof(TAttr));
            }
            while (result < 0 && LastErrno == EINTR);
            return (int)result;
        }
    }

    /// <summary>Copies an object name, truncated to 15 bytes and NUL-terminated, into a bpf name field.</summary>
    public static void WriteObjectName(byte* destination, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        int length = Math.Min(bytes.Length, BPF_OBJ_NAME_LEN - 1);
        for (int i = 0; i < BPF_OBJ_NAME_LEN; i++)
        {
            destination[i] = i < length ? bytes[i] : (byte)0;
        }
    }
}
