using Isolated.Net.Testing;
using Xunit;

namespace Isolated.Net.Reaping.Tests;

// The reaper's decisions on journals written by hand: the windows a random kill rarely hits.
public sealed class JournalReleaseTests
{
    private static readonly string BootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();

    [PrivilegedFact]
    public void A_run_killed_between_mounting_and_recording_the_inode_still_gets_its_mount_released()
    {
        var name = "isonet-window-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, Machine.AddForeignNamespace(name)); // an nsfs bind mount, as ours would be
        var journal = Path.Combine(RunJournals.Directory, "run-999991-1.journal");
        Directory.CreateDirectory(RunJournals.Directory);
        try
        {
            File.WriteAllText(journal, $"run pid=999991 start=1 boot={BootId} process=victim\nmount 1 path=/run/netns/{name}\n");
            var actions = RunJournals.ReapDeadRuns();
            Assert.Contains(actions, a => a.Contains($"unmounted and removed /run/netns/{name}", StringComparison.Ordinal));
            Assert.False(File.Exists("/run/netns/" + name));
            Assert.False(File.Exists(journal));
        }
        finally
        {
            Oracle.Exec("ip", "netns", "del", name);
            File.Delete(journal);
        }
    }

    [PrivilegedFact]
    public void A_name_another_run_has_since_claimed_is_left_alone()
    {
        var name = "isonet-claimed-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, Machine.AddForeignNamespace(name));
        Directory.CreateDirectory(RunJournals.Directory);
        var dead = Path.Combine(RunJournals.Directory, "run-999992-1.journal");
        var live = Path.Combine(RunJournals.Directory, "run-999993-1.journal");
        try
        {
            File.WriteAllText(dead, $"run pid=999992 start=1 boot={BootId} process=victim\nmount 1 path=/run/netns/{name}\n");
            // A live run: it holds its journal's lock (.NET's FileShare.None is an flock) and owns the name.
            using (var owner = new FileStream(live, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                owner.Write(System.Text.Encoding.UTF8.GetBytes($"run pid=999993 start=1 boot={BootId} process=other\nmount 1 path=/run/netns/{name}\n"));
                owner.Flush();
                var actions = RunJournals.ReapDeadRuns();
                Assert.Contains(actions, a => a.Contains("now recorded by " + live, StringComparison.Ordinal));
                Assert.True(File.Exists("/run/netns/" + name));
                Assert.True(File.Exists(live));
            }
        }
        finally
        {
            Oracle.Exec("ip", "netns", "del", name);
            File.Delete(dead);
            File.Delete(live);
        }
    }
}
