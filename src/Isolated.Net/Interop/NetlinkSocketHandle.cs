using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// An AF_NETLINK socket fd (SOCK_CLOEXEC). A socket pins the network namespace it was created in, so
// closing it is part of letting a namespace go.
internal sealed class NetlinkSocketHandle : SafeHandle
{
    public NetlinkSocketHandle() : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    public NetlinkSocketHandle(int fd) : this() => SetHandle(fd);

    public override bool IsInvalid => handle == -1;

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => LibC.close((int)handle) == 0;
}
