using Tmds.Linux;

namespace Isolated.Net.Interop;

// An eventfd. The impaired-link forwarder tells its threads to stop, or to wake early, through one; the
// reference count keeps the fd number from being reused while a thread still polls it.
internal sealed unsafe class EventFdHandle(int fd) : FileDescriptorHandle(fd)
{
    /// <summary>Adds one to the counter, waking a poller; does nothing once the handle is closed.</summary>
    public void Signal()
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            ulong one = 1;
            // An eventfd write only fails when the counter would overflow, which one write never does.
            _ = LibC.write(Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Closed: nobody to wake.
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }
}
