using System.Diagnostics;
using System.Text;
using Isolated.Net.Namespaces;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Processes;

// The thread a host's processes are started from. A child inherits the namespaces of the thread that
// forks it, so this thread sits in the host's network namespace and in a private mount and UTS
// namespace of its own, where a per-topology hosts file (on a private tmpfs, so nothing on the disk to
// clean up) is bind-mounted over /etc/hosts and the hostname is the host's name. Every child therefore resolves the
// topology's host names and sees `hostname` = its host, without touching the machine's /etc/hosts.
// The mount namespace is freed by the kernel once this thread and every child are gone.
internal sealed unsafe class ProcessLauncher : IDisposable
{
    private const int CLONE_NEWNS = 0x00020000;
    private const int CLONE_NEWUTS = 0x04000000;

    private readonly NamespaceThread _thread;
    private int _disposed;

    private ProcessLauncher(NamespaceThread thread) => _thread = thread;

    public static ProcessLauncher Create(NetworkNamespace ns, string hostName, string hostsFileContent)
    {
        var (thread, _) = NamespaceThread.Start("netns-exec:" + hostName, () =>
        {
            CheckIo(LibC.setns(ns.Handle.Fd, CLONE_NEWNET), $"entering host '{hostName}' to start processes (setns)");
            CheckIo(LibC.unshare(CLONE_NEWNS | CLONE_NEWUTS), $"creating the private mount and UTS namespace of host '{hostName}' (unshare)");
            PrivatizeHostsFile(hostName, hostsFileContent);
            var name = Encoding.UTF8.GetBytes(hostName);
            fixed (byte* p = name)
            {
                CheckIo(LibC.sethostname(p, name.Length), $"setting the hostname of host '{hostName}'");
            }
            return 0;
        });
        return new ProcessLauncher(thread);
    }

    // In this thread's private mount namespace: a small tmpfs holds the hosts file, which is then
    // bind-mounted over /etc/hosts; the tmpfs itself is detached again (the bind mount keeps the file).
    // Equivalent to: mount --make-rslave /; mount -t tmpfs tmpfs DIR; cp hosts DIR; mount --bind DIR/hosts /etc/hosts; umount -l DIR
    private static void PrivatizeHostsFile(string hostName, string content)
    {
        const string scratch = Reaping.RunJournal.Directory; // exists; hidden only inside this namespace, briefly
        var file = scratch + "/hosts";
        fixed (byte* root = ToCString("/"))
        fixed (byte* dir = ToCString(scratch))
        fixed (byte* tmpfs = ToCString("tmpfs"))
        fixed (byte* options = ToCString("size=64k,mode=0755"))
        fixed (byte* source = ToCString(file))
        fixed (byte* target = ToCString("/etc/hosts"))
        {
            // Slave first: a mount made here must never propagate back to the machine.
            CheckIo(LibC.mount(null, root, null, LibC.MS_REC | LibC.MS_SLAVE, null), "making the process mount namespace a slave (mount --make-rslave /)");
            CheckIo(LibC.mount(tmpfs, dir, tmpfs, LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, options), $"mounting a scratch tmpfs on {scratch} for host '{hostName}'");
            try
            {
                int fd = Open(file, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0x1A4); // 0644
                CheckIo(fd, $"writing the hosts file for host '{hostName}'");
                var bytes = Encoding.UTF8.GetBytes(content);
                try
                {
                    fixed (byte* data = bytes)
                    {
                        if ((long)LibC.write(fd, data, bytes.Length) != bytes.Length)
                        {
                            throw ErrorFromLastErrno($"writing the hosts file for host '{hostName}'");
                        }
                    }
                }
                finally
                {
                    _ = LibC.close(fd);
                }
                CheckIo(LibC.mount(source, target, null, LibC.MS_BIND, null), $"bind-mounting the topology hosts file over /etc/hosts for host '{hostName}'");
            }
            finally
            {
                _ = LibC.umount2(dir, LibC.MNT_DETACH);
            }
        }
    }

    /// <summary>Starts the process from the launcher thread, so it is born inside the host.</summary>
    public Process Start(ProcessStartInfo startInfo)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _thread.Invoke(() => Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Process.Start returned no process for '{startInfo.FileName}'."));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _thread.Stop();
    }
}
