using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Namespaces;

// /run/netns bind mounts, done the way iproute2's `ip netns add` does them so `ip netns exec` works.
internal static unsafe class NamedNamespaces
{
    private static readonly Lock s_setupLock = new();
    private static bool s_directoryReady;

    /// <summary>
    /// Journals, then creates the empty mount point /run/netns/NAME (O_EXCL: a collision fails here).
    /// A bind mount outlives a crash, so the reaper must know of it before it exists.
    /// </summary>
    public static (string Path, int JournalId) Reserve(string name)
    {
        EnsureDirectory();
        var path = Path.Combine(NetworkNamespace.NamedNamespaceDirectory, name);
        int journalId = Reaping.RunJournal.RecordMount(path);
        int fd = Open(path, LibC.O_RDONLY | LibC.O_CREAT | LibC.O_EXCL, 0);
        if (fd < 0)
        {
            var error = RootlessError(ErrorFromLastErrno($"creating named network namespace '{name}' ({path})"));
            Reaping.RunJournal.Release(journalId);
            throw error;
        }
        _ = LibC.close(fd);
        return (path, journalId);
    }

    // Equivalent to: mount --bind /proc/thread-self/ns/net /run/netns/NAME (run on the namespace thread)
    public static void BindCurrentThread(string path, string name, int journalId)
    {
        fixed (byte* source = ToCString("/proc/thread-self/ns/net"))
        fixed (byte* target = ToCString(path))
        fixed (byte* type = ToCString("none"))
        {
            CheckIo(LibC.mount(source, target, type, LibC.MS_BIND, null), $"bind-mounting network namespace '{name}' at {path}");
        }
        if (PathIdentity(path) is { } identity)
        {
            Reaping.RunJournal.RecordBound(journalId, identity.Inode);
        }
    }

    // Equivalent to: umount -l /run/netns/NAME && rm /run/netns/NAME
    public static void Remove(string path, int journalId)
    {
        fixed (byte* target = ToCString(path))
        {
            _ = LibC.umount2(target, LibC.MNT_DETACH); // EINVAL when never mounted: nothing to undo
            _ = LibC.unlink(target);
        }
        Reaping.RunJournal.Release(journalId);
    }

    // Rootless, /run/netns belongs to the machine's root: `isolated-net exec` mounts a private tmpfs over it
    // when it exists, and nothing can be done when it does not. Say so instead of "run as root".
    private static NetworkOperationException RootlessError(NetworkOperationException error) =>
        error.Errno is EACCES or EPERM && !UserNamespaces.IsRealRoot
            ? NetworkOperationException.WithHint(error.Operation, error.Errno,
                $"named network namespaces are not available rootless here: {NetworkNamespace.NamedNamespaceDirectory} belongs to the machine's root. "
                + $"Under `isolated-net exec` it is a private, writable directory if it exists (once, as root: mkdir -p {NetworkNamespace.NamedNamespaceDirectory}); "
                + "or use anonymous namespaces (NetworkNamespace.Create())")
            : error;

    // iproute2 makes /run/netns a shared mount point (bind-mounting it onto itself first if needed), so
    // namespace mounts made here propagate to other mount namespaces that `ip netns exec` creates.
    private static void EnsureDirectory()
    {
        lock (s_setupLock)
        {
            if (s_directoryReady)
            {
                return;
            }
            var dir = NetworkNamespace.NamedNamespaceDirectory;
            fixed (byte* path = ToCString(dir))
            fixed (byte* none = ToCString("none"))
            fixed (byte* empty = ToCString(""))
            {
                if (LibC.mkdir(path, 0x1ED) != 0 && LastErrno != EEXIST) // 0755
                {
                    throw RootlessError(ErrorFromLastErrno($"creating {dir}"));
                }
                bool boundOntoItself = false;
                while (LibC.mount(empty, path, none, LibC.MS_SHARED | LibC.MS_REC, null) != 0)
                {
                    if (LastErrno != EINVAL || boundOntoItself)
                    {
                        throw ErrorFromLastErrno($"making {dir} a shared mount point");
                    }
                    CheckIo(LibC.mount(path, path, none, LibC.MS_BIND | LibC.MS_REC, null), $"bind-mounting {dir} onto itself");
                    boundOntoItself = true;
                }
            }
            s_directoryReady = true;
        }
    }
}
