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

    /// <summary>
    /// Resets a TCP connection now: the peer gets an RST, and nothing (no FIN) is sent after it. The BCL's
    /// dispose of a socket with an operation in flight may shut it down (FIN) before the linger-0 close, and
    /// a peer that saw that FIN reads a clean end of stream instead of the reset.
    /// </summary>
    public static void ResetConnection(Socket socket)
    {
        // Equivalent to: connect(fd, {AF_UNSPEC}) — tcp_disconnect(): RST for an established connection.
        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        try
        {
            byte* unspecified = stackalloc byte[16];
            new Span<byte>(unspecified, 16).Clear();
            _ = LibC.connect((int)socket.SafeHandle.DangerousGetHandle(), (sockaddr*)unspecified, 16);
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
