using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// An owned file descriptor (opened with O_CLOEXEC or its equivalent), closed once when the last
// DangerousAddRef holder is done. Each fd kind derives its own sealed type, so a signature says which
// kind it takes.
internal abstract class FileDescriptorHandle : SafeHandle
{
    protected FileDescriptorHandle(int fd) : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
