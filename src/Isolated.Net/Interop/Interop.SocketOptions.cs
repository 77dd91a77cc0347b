using System.Net.Sockets;
using Tmds.Linux;

namespace Isolated.Net.Interop;

// Socket options the BCL has no name for.
internal static unsafe partial class Interop
{
    public const int SO_REUSEADDR = 2;
    public const int SO_MARK = 36;

    /// <summary>
    /// Sets the socket's firewall mark (SO_MARK), which nftables matches as <c>meta mark</c>. Needs
    /// CAP_NET_ADMIN in the user namespace that owns the socket's network namespace.
    /// </summary>
    public static void SetMark(Socket socket, uint mark, string operation)
    {
        // Equivalent to: setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, 4)
        bool added = false;
        socket.SafeHandle.DangerousAddRef(ref added);
        try
        {
            CheckIo(LibC.setsockopt((int)socket.SafeHandle.DangerousGetHandle(), SOL_SOCKET, SO_MARK, &mark, sizeof(uint)), operation);
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }
}
