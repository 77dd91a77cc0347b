using System.Text;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Interop;

// The bpf(2) operations the fault filters need: maps, program loading (with the verifier's log when it
// refuses), re-opening a map by id, and test runs. Every failure names the operation and the errno.
internal static unsafe class BpfSyscalls
{
    private const int VerifierLogSize = 64 * 1024;

    // Equivalent to: bpftool map create ... type TYPE key K value V entries N name NAME
    public static BpfObjectHandle CreateMap(uint type, int keySize, int valueSize, int maxEntries, string name)
    {
        var attr = new bpf_map_create_attr
        {
            map_type = type,
            key_size = (uint)keySize,
            value_size = (uint)valueSize,
            max_entries = (uint)maxEntries,
        };
        WriteObjectName(attr.map_name, name);
        int fd = Bpf(BPF_MAP_CREATE, ref attr);
        return fd >= 0 ? new BpfObjectHandle(fd) : throw BpfError($"creating BPF map '{name}' (bpf BPF_MAP_CREATE)");
    }

    // Equivalent to: bpftool map update id ID key KEY value VALUE
    public static void UpdateElement(BpfObjectHandle map, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, string what)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = new bpf_map_elem_attr { map_fd = (uint)map.Fd, key = (ulong)k, value = (ulong)v, flags = BPF_ANY };
            CheckIo(Bpf(BPF_MAP_UPDATE_ELEM, ref attr), $"writing {what} to a BPF map (bpf BPF_MAP_UPDATE_ELEM)");
        }
        GC.KeepAlive(map);
    }

    // Equivalent to: bpftool map delete id ID key KEY (a missing key is not an error)
    public static void DeleteElement(BpfObjectHandle map, ReadOnlySpan<byte> key, string what)
    {
        fixed (byte* k = key)
        {
            var attr = new bpf_map_elem_attr { map_fd = (uint)map.Fd, key = (ulong)k };
            if (Bpf(BPF_MAP_DELETE_ELEM, ref attr) < 0 && LastErrno != ENOENT)
            {
                throw ErrorFromLastErrno($"removing {what} from a BPF map (bpf BPF_MAP_DELETE_ELEM)");
            }
        }
        GC.KeepAlive(map);
    }

    // Equivalent to: bpftool map lookup id ID key KEY
    public static bool LookupElement(BpfObjectHandle map, ReadOnlySpan<byte> key, Span<byte> value, string what)
    {
        fixed (byte* k = key)
        fixed (byte* v = value)
        {
            var attr = new bpf_map_elem_attr { map_fd = (uint)map.Fd, key = (ulong)k, value = (ulong)v };
            if (Bpf(BPF_MAP_LOOKUP_ELEM, ref attr) < 0)
            {
                return LastErrno == ENOENT ? false : throw ErrorFromLastErrno($"reading {what} from a BPF map (bpf BPF_MAP_LOOKUP_ELEM)");
            }
        }
        GC.KeepAlive(map);
        return true;
    }

    /// <summary>
    /// Loads a tc classifier program. Map fds named by the instructions must stay open until this
    /// returns (the program then holds the maps). When the verifier refuses the program, the load is
    /// repeated with a log, and the log's end is the exception's kernel message.
    /// </summary>
    public static BpfObjectHandle LoadClassifier(ReadOnlySpan<bpf_insn> instructions, string name, string license)
    {
        var licenseBytes = ToCString(license);
        fixed (bpf_insn* insns = instructions)
        fixed (byte* lic = licenseBytes)
        {
            var attr = new bpf_prog_load_attr
            {
                prog_type = BPF_PROG_TYPE_SCHED_CLS,
                insn_cnt = (uint)instructions.Length,
                insns = (ulong)insns,
                license = (ulong)lic,
            };
            WriteObjectName(attr.prog_name, name);
            var operation = $"loading BPF program '{name}' (bpf BPF_PROG_LOAD)";
            int fd = Bpf(BPF_PROG_LOAD, ref attr);
            if (fd >= 0)
            {
                return new BpfObjectHandle(fd);
            }
            int errno = LastErrno;
            if (errno is EPERM or EACCES)
            {
                throw BpfError(operation, errno);
            }
            var log = new byte[VerifierLogSize];
            fixed (byte* buffer = log)
            {
                attr.log_level = 1;
                attr.log_size = (uint)log.Length;
                attr.log_buf = (ulong)buffer;
                fd = Bpf(BPF_PROG_LOAD, ref attr);
                if (fd >= 0)
                {
                    return new BpfObjectHandle(fd); // refused once, accepted with a log: keep it
                }
                errno = LastErrno;
            }
            throw Error(operation, errno, LastLines(log, 12));
        }
    }

    // Equivalent to: bpftool map show id ID (an fd for it; needs CAP_SYS_ADMIN)
    public static BpfObjectHandle OpenMap(uint id)
    {
        var attr = new bpf_get_fd_by_id_attr { id = id };
        int fd = Bpf(BPF_MAP_GET_FD_BY_ID, ref attr);
        return fd >= 0 ? new BpfObjectHandle(fd) : throw BpfError($"opening BPF map #{id} (bpf BPF_MAP_GET_FD_BY_ID)");
    }

    /// <summary>The kernel's id and name of a map (bpf_map_info).</summary>
    public static (uint Id, string Name) MapInfo(BpfObjectHandle map)
    {
        var info = default(bpf_map_info);
        var attr = new bpf_info_attr { bpf_fd = (uint)map.Fd, info_len = (uint)sizeof(bpf_map_info), info = (ulong)&info };
        CheckIo(Bpf(BPF_OBJ_GET_INFO_BY_FD, ref attr), "reading BPF map info (bpf BPF_OBJ_GET_INFO_BY_FD)");
        GC.KeepAlive(map);
        var name = new ReadOnlySpan<byte>(info.name, BPF_OBJ_NAME_LEN);
        int end = name.IndexOf((byte)0);
        return (info.id, Encoding.ASCII.GetString(end < 0 ? name : name[..end]));
    }

    /// <summary>Runs a classifier once on a made-up frame (BPF_PROG_TEST_RUN) and returns its verdict.</summary>
    public static int TestRun(BpfObjectHandle program, ReadOnlySpan<byte> frame)
    {
        fixed (byte* data = frame)
        {
            var attr = new bpf_test_run_attr { prog_fd = (uint)program.Fd, data_in = (ulong)data, data_size_in = (uint)frame.Length, repeat = 1 };
            CheckIo(Bpf(BPF_PROG_TEST_RUN, ref attr), "test-running a BPF program (bpf BPF_PROG_TEST_RUN)");
            GC.KeepAlive(program);
            return (int)attr.retval;
        }
    }

    // bpf(2) answers EPERM (or EACCES) when the caller lacks CAP_BPF/CAP_SYS_ADMIN in the initial user
    // namespace and kernel.unprivileged_bpf_disabled forbids everyone else: say that, not "run as root"
    // alone, since in rootless mode the process IS uid 0 and has every capability of its namespace.
    internal static NetworkOperationException BpfError(string operation, int errno) => errno is EPERM or EACCES
        ? NetworkOperationException.WithHint(operation, errno, Namespaces.UserNamespaces.BpfDeniedExplanation(
            Namespaces.UserNamespaces.UnprivilegedBpfDisabled, Namespaces.UserNamespaces.InInitialUserNamespace))
        : Error(operation, errno);

    private static NetworkOperationException BpfError(string operation) => BpfError(operation, LastErrno);

    private static string LastLines(byte[] log, int count)
    {
        int end = Array.IndexOf(log, (byte)0);
        var text = Encoding.UTF8.GetString(log, 0, end < 0 ? log.Length : end).TrimEnd();
        var lines = text.Split('\n');
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - count)));
    }
}
