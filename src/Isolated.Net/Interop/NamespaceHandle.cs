using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// An O_CLOEXEC fd on a network namespace (nsfs inode). While it is open the namespace lives; when the
// last fd and the last thread in it are gone, the kernel frees it and everything inside.
internal sealed class NamespaceHandle : SafeHandle
{
    public NamespaceHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public NamespaceHandle(int fd) : this() => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
