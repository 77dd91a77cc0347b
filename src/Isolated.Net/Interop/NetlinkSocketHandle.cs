using System.Runtime.InteropServices;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

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

    // One datagram from the kernel (datagrams from other ports are skipped), retrying EINTR. Returns its
    // length (its full length with MSG_TRUNC, which may exceed the buffer); error is the errno when
    // nothing was received.
    public unsafe int ReceiveFromKernel(byte[] buffer, int flags, out int error)
    {
        fixed (byte* data = buffer)
        {
            while (true)
            {
                sockaddr_nl from = default;
                socklen_t fromLength = (uint)sizeof(sockaddr_nl);
                long received = LibC.recvfrom(Fd, data, buffer.Length, flags, (sockaddr*)&from, &fromLength);
                if (received < 0)
                {
                    error = LastErrno;
                    if (error == LibC.EINTR)
                    {
                        continue;
                    }
                    return 0;
                }
                if (from.nl_pid != 0)
                {
                    continue; // not from the kernel
                }
                error = 0;
                return (int)received;
            }
        }
    }
}
