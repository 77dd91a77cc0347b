using System.CommandLine;

namespace Isolated.Net.Cli;

// isolated-net list | reap [--dry-run]: a thin shell over Isolated.Net.RunJournals.
internal static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var list = new Command("list", "List live Isolated.Net runs with what they hold, dead runs not reaped yet, and /run/netns entries no run owns.");
        list.SetAction(_ => List(output));

        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be released without changing anything." };
        var reap = new Command("reap", "Release what dead runs left (processes in their namespaces, /run/netns mounts), checking each item's identity first.");
        reap.Options.Add(dryRun);
        reap.SetAction(result => Reap(output, result.GetValue(dryRun)));

        var root = new RootCommand("Isolated.Net: inspect and clean up the network state of test runs.");
        root.Subcommands.Add(list);
        root.Subcommands.Add(reap);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(configuration);
    }

    private static int List(TextWriter output)
    {
        var runs = RunJournals.List();
        if (runs.Count == 0)
        {
            output.WriteLine("No Isolated.Net runs hold anything.");
        }
        foreach (var run in runs)
        {
            output.WriteLine($"{(run.IsAlive ? "live" : "DEAD")} run: pid {run.ProcessId} ({run.ProcessName}) {run.Path}");
            foreach (var entry in run.Entries.Where(e => !e.Released))
            {
                output.WriteLine($"  {entry}");
            }
            int released = run.Entries.Count(e => e.Released);
            if (released > 0)
            {
                output.WriteLine($"  ({released} released entries not shown)");
            }
        }
        var unowned = RunJournals.FindUnowned();
        foreach (var path in unowned)
        {
            output.WriteLine($"unowned: {path} (no journal records it; left alone)");
        }
        if (runs.Any(r => !r.IsAlive))
        {
            output.WriteLine("Dead runs still hold resources: run `isolated-net reap` (as root) to release them.");
        }
        return 0;
    }

    private static int Reap(TextWriter output, bool dryRun)
    {
        var actions = RunJournals.ReapDeadRuns(dryRun);
        if (actions.Count == 0)
        {
            output.WriteLine("Nothing to reap: no dead run left anything.");
        }
        foreach (var action in actions)
        {
            output.WriteLine(action);
        }
        foreach (var path in RunJournals.FindUnowned())
        {
            output.WriteLine($"unowned: {path} (no journal records it; not touched)");
        }
        return 0;
    }
}
