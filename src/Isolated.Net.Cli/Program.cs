using System.CommandLine;

namespace Isolated.Net.Cli;

// isolated-net list | reap [--dry-run]: a thin shell over Isolated.Net.RunJournals.
// isolated-net exec [--net] [--verbose] [--] COMMAND [ARGS...]: rootless mode (UserNamespaceLauncher).
internal static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // exec takes the rest of the line verbatim (`exec dotnet test -c Release` must not read -c as an
        // option of ours), so it is parsed here; System.CommandLine still lists it in --help.
        if (args.Length > 0 && args[0] == "exec")
        {
            return Exec(args.AsSpan(1), output, error);
        }
        var list = new Command("list", "List live Isolated.Net runs with what they hold, dead runs not reaped yet, and /run/netns entries no run owns.");
        list.SetAction(_ => List(output));

        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be released without changing anything." };
        var reap = new Command("reap", "Release what dead runs left (processes in their namespaces, /run/netns mounts), checking each item's identity first.");
        reap.Options.Add(dryRun);
        reap.SetAction(result => Reap(output, result.GetValue(dryRun)));

        var exec = new Command("exec", ExecUsage);
        var root = new RootCommand("Isolated.Net: run tests rootless, inspect and clean up the network state of test runs.");
        root.Subcommands.Add(exec);
        root.Subcommands.Add(list);
        root.Subcommands.Add(reap);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(configuration);
    }

    internal const string ExecUsage =
        "Run a command (e.g. `dotnet test`) as root of a new user namespace, where it may create network namespaces without sudo (rootless mode). "
        + "Usage: isolated-net exec [--net] [--verbose] [--] COMMAND [ARGS...]. --net also gives it a new network namespace (loopback up); "
        + "by default it keeps this one, so restore, test runners and published ports work. Exits with the command's exit code.";

    /// <summary>Parses exec's own options up to the command (or `--`).</summary>
    internal static UserNamespaceLauncher.Options? ParseExec(ReadOnlySpan<string> args, out string? problem)
    {
        bool net = false, verbose = false;
        int i = 0;
        for (; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }
            if (arg == "--net")
            {
                net = true;
            }
            else if (arg is "--verbose" or "-v")
            {
                verbose = true;
            }
            else if (arg is "--help" or "-h" or "-?")
            {
                problem = null;
                return null;
            }
            else if (arg.StartsWith('-'))
            {
                problem = $"unknown option '{arg}' (put `--` before a command that starts with '-')";
                return null;
            }
            else
            {
                break;
            }
        }
        if (i >= args.Length)
        {
            problem = "no command given";
            return null;
        }
        problem = null;
        return new UserNamespaceLauncher.Options(args[i..].ToArray(), net, verbose);
    }

    private static int Exec(ReadOnlySpan<string> args, TextWriter output, TextWriter error)
    {
        var options = ParseExec(args, out var problem);
        if (options is null)
        {
            (problem is null ? output : error).WriteLine((problem is null ? "" : $"isolated-net exec: {problem}\n") + ExecUsage);
            return problem is null ? 0 : 2;
        }
        return UserNamespaceLauncher.Run(options, error);
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
