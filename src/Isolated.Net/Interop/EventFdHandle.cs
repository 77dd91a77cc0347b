namespace Isolated.Net.Interop;

// An eventfd. The impaired-link forwarder tells its threads to stop through one; the reference count
// keeps the fd number from being reused while a thread still polls it.
internal sealed class EventFdHandle(int fd) : FileDescriptorHandle(fd);
