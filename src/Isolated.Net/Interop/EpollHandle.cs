namespace Isolated.Net.Interop;

// An epoll instance, one per forwarder thread.
internal sealed class EpollHandle(int fd) : FileDescriptorHandle(fd);
