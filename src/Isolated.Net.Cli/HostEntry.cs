using System.Diagnostics;
using System.Text;
using Tmds.Linux;
using static Isolated.Net.Interop.Interop;

namespace Isolated.Net.Cli;

// `isolated-net exec NAME HOST -- CMD...` and `isolated-net shell NAME HOST`: runs a program inside a host
// of a live `up` session, as the library starts its own processes (ProcessLauncher): from a thread of ours
// that enters the host's network namespace (setns on /run/netns/isolated-net-NAME-HOST), then a private
// mount and UTS namespace where the session's hosts file and gai.conf are bind-mounted over /etc's and the
// hostname is the host's. The child inherits our terminal; its exit code is ours.
internal static unsafe class HostEntry
{
    private const int CLONE_NEWNS = 0x00020000;
    private const int CLONE_NEWUTS = 0x04000000;
    private const int CLONE_NEWNET = 0x40000000;

    public static int Run(string session, string host, IReadOnlyList<string> command, TextWriter error, string verb)
    {
        if (UpSessions.CheckName(session) is { } badName)
        {
            error.WriteLine($"isolated-net {verb}: {badName}");
            return 2;
        }
        if (!UpSessions.IsLive(session))
        {
            error.WriteLine($"isolated-net {verb}: no session '{session}' is up (`isolated-net list` shows those that are)");
            return 1;
        }
        var hosts = UpSessions.HostsOf(session);
        if (!hosts.Contains(host))
        {
            error.WriteLine($"isolated-net {verb}: session '{session}' has no host '{host}'; it has {string.Join(", ", hosts)}");
            return 1;
        }
        if (command.Count == 0)
        {
            error.WriteLine($"isolated-net {verb}: no command given");
            return 2;
        }
        var directory = UpSessions.DirectoryOf(session);
        var nsPath = UpSessions.NamespacePath(session, host);
        int exitCode = 0;
        string? failure = null;
        // A thread of our own: it changes namespaces and is never handed back to a pool.
        var thread = new Thread(() =>
        {
            try
            {
                Enter(nsPath, host, directory);
                var startInfo = new ProcessStartInfo(command[0]) { UseShellExecute = false };
                foreach (var argument in command.Skip(1))
                {
                    startInfo.ArgumentList.Add(argument);
                }
                using var process = Process.Start(startInfo)!;
                process.WaitForExit();
                exitCode = process.ExitCode;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                failure = $"{command[0]}: {e.Message}";
                exitCode = 127;
            }
            catch (NetworkOperationException e)
            {
                failure = e.Message;
                exitCode = 1;
            }
        })
        { Name = "isolated-net " + verb };
        // The terminal's Ctrl-C goes to the child (same process group); we wait for it to exit.
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => c.Cancel = true);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            error.WriteLine($"isolated-net {verb}: {failure}");
        }
        return exitCode;
    }

    // Equivalent to: nsenter --net=/run/netns/isolated-net-NAME-HOST unshare --mount --uts sh -c
    //   'mount --make-rslave /; mount --bind DIR/hosts /etc/hosts; mount --bind DIR/gai.conf /etc/gai.conf; hostname HOST'
    private static void Enter(string nsPath, string host, string directory)
    {
        int fd = Open(nsPath, LibC.O_RDONLY);
        CheckIo(fd, $"opening {nsPath}");
        try
        {
            CheckIo(LibC.setns(fd, CLONE_NEWNET), $"entering host '{host}' (setns on {nsPath})");
        }
        finally
        {
            _ = LibC.close(fd);
        }
        CheckIo(LibC.unshare(CLONE_NEWNS | CLONE_NEWUTS), $"creating the private mount and UTS namespace for host '{host}' (unshare)");
        fixed (byte* root = ToCString("/"))
        {
            // Slave first: nothing mounted here may propagate back to the machine.
            CheckIo(LibC.mount(null, root, null, LibC.MS_REC | LibC.MS_SLAVE, null), "making the mount namespace a slave (mount --make-rslave /)");
        }
        foreach (var name in new[] { "hosts", "gai.conf" })
        {
            var source = Path.Combine(directory, name);
            var target = "/etc/" + name;
            if (!File.Exists(source) || !File.Exists(target))
            {
                continue;
            }
            fixed (byte* s = ToCString(source))
            fixed (byte* t = ToCString(target))
            {
                CheckIo(LibC.mount(s, t, null, LibC.MS_BIND, null), $"bind-mounting the topology's {name} over {target}");
            }
        }
        var hostName = Encoding.UTF8.GetBytes(host);
        fixed (byte* p = hostName)
        {
            CheckIo(LibC.sethostname(p, hostName.Length), $"setting the hostname to '{host}'");
        }
    }
}
