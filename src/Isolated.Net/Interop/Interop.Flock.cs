using System.Runtime.InteropServices;

namespace Isolated.Net.Interop;

// flock(2), which Tmds.LibC 0.5.0 lacks. Journal ownership is a lock, not a pid: the kernel drops it
// when the owner dies, however it dies, and a reused pid cannot fake it.
internal static partial class Interop
{
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int EWOULDBLOCK = 11;

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FlockNative(int fd, int operation);

    /// <summary>flock(2), retrying EINTR; returns 0 or -1 with errno set.</summary>
    public static int Flock(int fd, int operation)
    {
        int rc;
        do
        {
            rc = FlockNative(fd, operation);
        }
        while (rc < 0 && LastErrno == EINTR);
        return rc;
    }
}
