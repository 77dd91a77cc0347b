using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// An fd for a BPF map or program (bpf(2) opens them O_CLOEXEC). The kernel keeps the object while an
// fd or an attachment (a tc filter, a program using the map) holds it.
internal sealed class BpfObjectHandle : SafeHandle
{
    public BpfObjectHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public BpfObjectHandle(int fd) : this() => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
