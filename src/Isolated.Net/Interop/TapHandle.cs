namespace Isolated.Net.Interop;

// A TAP device's /dev/net/tun fd. The device lives exactly as long as the fd: closing it removes the
// interface from its namespace. The socket behind the fd also pins the namespace the device was born
// in, so the impaired-link forwarder closes it as soon as either end's namespace is disposed.
internal sealed class TapHandle(int fd) : FileDescriptorHandle(fd);
