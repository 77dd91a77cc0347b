using System.Diagnostics;
using System.Text;
using Isolated.Net.Namespaces;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Processes;

// The thread a host's processes are started from. A child inherits the namespaces of the thread that
// forks it, so this thread sits in the host's network namespace and in a private mount and UTS
// namespace of its own, where a per-topology hosts file and gai.conf (on a private tmpfs, so nothing on the
// disk to clean up) are bind-mounted over /etc/hosts and /etc/gai.conf and the hostname is the host's name.
// Every child therefore resolves the topology's host names, in the topology's family order, and sees
// `hostname` = its host, without touching the machine's /etc files.
// The mount namespace is freed by the kernel once this thread and every child are gone.
internal sealed unsafe class ProcessLauncher : IDisposable
{
    private const int CLONE_NEWNS = 0x00020000;
    private const int CLONE_NEWUTS = 0x04000000;

    private readonly NamespaceThread _thread;
    private int _disposed;

    private ProcessLauncher(NamespaceThread thread) => _thread = thread;

    public static ProcessLauncher Create(NetworkNamespace ns, string hostName, string hostsFileContent, string gaiConfContent)
    {
        var (thread, _) = NamespaceThread.Start("netns-exec:" + hostName, () =>
        {
            CheckIo(LibC.setns(ns.Handle.Fd, CLONE_NEWNET), $"entering host '{hostName}' to start processes (setns)");
            CheckIo(LibC.unshare(CLONE_NEWNS | CLONE_NEWUTS), $"creating the private mount and UTS namespace of host '{hostName}' (unshare)");
            PrivatizeResolverFiles(hostName, [("hosts", hostsFileContent), ("gai.conf", gaiConfContent)]);
            var name = Encoding.UTF8.GetBytes(hostName);
            fixed (byte* p = name)
            {
                CheckIo(LibC.sethostname(p, name.Length), $"setting the hostname of host '{hostName}'");
            }
            return 0;
        });
        return new ProcessLauncher(thread);
    }

    // In this thread's private mount namespace: a small tmpfs holds the files, each then bind-mounted over
    // its namesake in /etc; the tmpfs itself is detached again (the bind mounts keep the files). A bind
    // mount needs its target to exist: /etc/gai.conf is skipped where the distribution ships none (glibc
    // then uses its built-in order); /etc/hosts always exists.
    // Equivalent to: mount --make-rslave /; mount -t tmpfs tmpfs DIR; cp hosts gai.conf DIR; mount --bind DIR/hosts /etc/hosts; mount --bind DIR/gai.conf /etc/gai.conf; umount -l DIR
    private static void PrivatizeResolverFiles(string hostName, (string Name, string Content)[] files)
    {
        string scratch = Reaping.RunJournal.Directory; // exists; hidden only inside this namespace, briefly
        fixed (byte* root = ToCString("/"))
        fixed (byte* dir = ToCString(scratch))
        fixed (byte* tmpfs = ToCString("tmpfs"))
        fixed (byte* options = ToCString("size=64k,mode=0755"))
        {
            // Slave first: a mount made here must never propagate back to the machine.
            CheckIo(LibC.mount(null, root, null, LibC.MS_REC | LibC.MS_SLAVE, null), "making the process mount namespace a slave (mount --make-rslave /)");
            CheckIo(LibC.mount(tmpfs, dir, tmpfs, LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, options), $"mounting a scratch tmpfs on {scratch} for host '{hostName}'");
            try
            {
                foreach (var (name, content) in files)
                {
                    var target = "/etc/" + name;
                    if (name != "hosts" && !File.Exists(target))
                    {
                        continue;
                    }
                    var file = scratch + "/" + name;
                    WriteFile(file, content, $"writing the {name} file for host '{hostName}'");
                    fixed (byte* source = ToCString(file))
                    fixed (byte* targetPath = ToCString(target))
                    {
                        CheckIo(LibC.mount(source, targetPath, null, LibC.MS_BIND, null), $"bind-mounting the topology {name} file over {target} for host '{hostName}'");
                    }
                }
            }
            finally
            {
                _ = LibC.umount2(dir, LibC.MNT_DETACH);
            }
        }
    }

    private static void WriteFile(string path, string content, string operation)
    {
        int fd = Open(path, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC, 0x1A4); // 0644
        CheckIo(fd, operation);
        var bytes = Encoding.UTF8.GetBytes(content);
        try
        {
            fixed (byte* data = bytes)
            {
                if ((long)LibC.write(fd, data, bytes.Length) != bytes.Length)
                {
                    throw ErrorFromLastErrno(operation);
                }
            }
        }
        finally
        {
            _ = LibC.close(fd);
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
