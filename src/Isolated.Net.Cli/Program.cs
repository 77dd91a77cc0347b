using System.CommandLine;

namespace Isolated.Net.Cli;

// isolated-net list | reap [--dry-run]: a thin shell over Isolated.Net.RunJournals.
// isolated-net exec [--net] [--verbose] [--] COMMAND [ARGS...]: rootless mode (UserNamespaceLauncher).
// isolated-net up FILE / down / describe / save / fault / exec NAME HOST -- CMD / shell: a topology file by hand (UpCommand).
internal static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    internal static int Run(string[] args, TextWriter output, TextWriter error)
    {
        // exec takes the rest of the line verbatim (`exec dotnet test -c Release` must not read -c as an
        // option of ours), so it is parsed here; System.CommandLine still lists it in --help.
        if (args.Length > 0 && args[0] == "exec")
        {
            return IsHostExec(args) is { } hostSession
                ? HostEntry.Run(hostSession, args[2], args[4..], error, "exec")
                : Exec(args.AsSpan(1), output, error);
        }
        // fault takes its own small language (partition A,B C; impair HOST:IF loss=1%), read verbatim too.
        if (args.Length > 0 && args[0] == "fault")
        {
            if (args.Length < 3 || args[1] is "--help" or "-h")
            {
                (args.Length < 3 && args is not [_, "--help" or "-h"] ? error : output).WriteLine("Usage: " + SessionCommands.FaultUsage);
                return args is [_, "--help" or "-h"] ? 0 : 2;
            }
            return UpSessions.Send(args[1], ["fault", .. args[2..]], output, error, "fault");
        }
        var list = new Command("list", "List live Isolated.Net runs with what they hold, dead runs not reaped yet, and /run/netns entries no run owns.");
        list.SetAction(_ => List(output));

        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be released without changing anything." };
        var reap = new Command("reap", "Release what dead runs left (processes in their namespaces, /run/netns mounts), checking each item's identity first.");
        reap.Options.Add(dryRun);
        reap.SetAction(result => Reap(output, result.GetValue(dryRun)));

        var file = new Argument<string>("FILE") { Description = "A topology file (JSON), e.g. samples/topologies/two-sites.json." };
        var nameOption = new Option<string?>("--name") { Description = "The session's name (default: the file's name without extension)." };
        var up = new Command("up", "Build a topology file and keep it until Ctrl-C or `isolated-net down NAME`; its hosts are /run/netns/isolated-net-NAME-HOST.");
        up.Arguments.Add(file);
        up.Options.Add(nameOption);
        up.SetAction(result => UpCommand.Run(result.GetValue(file)!, result.GetValue(nameOption), output, error));

        var session = new Argument<string>("NAME") { Description = "A session started with `isolated-net up`." };
        var down = new Command("down", "Stop a session: its namespaces and everything in them go.");
        down.Arguments.Add(session);
        down.SetAction(result => Down(result.GetValue(session)!, output, error));

        var describe = new Command("describe", "Print a session's topology as the kernel sees it now (the dump a failing test prints).");
        describe.Arguments.Add(session);
        describe.SetAction(result => UpSessions.Send(result.GetValue(session)!, ["describe"], output, error, "describe"));

        var saveFile = new Argument<string>("FILE") { Description = "Where to write the topology file." };
        var save = new Command("save", "Write a session's topology, with the faults in force now, as a topology file.");
        save.Arguments.Add(session);
        save.Arguments.Add(saveFile);
        save.SetAction(result => UpSessions.Send(result.GetValue(session)!, ["save", Path.GetFullPath(result.GetValue(saveFile)!)], output, error, "save"));

        var host = new Argument<string>("HOST") { Description = "A host of the session." };
        var shell = new Command("shell", "An interactive shell ($SHELL, else /bin/sh) inside a host of a session, with its hostname and hosts file.");
        shell.Arguments.Add(session);
        shell.Arguments.Add(host);
        shell.SetAction(result => HostEntry.Run(result.GetValue(session)!, result.GetValue(host)!, [Environment.GetEnvironmentVariable("SHELL") is { Length: > 0 } sh ? sh : "/bin/sh"], error, "shell"));

        var fault = new Command("fault", "Change a session's faults: " + SessionCommands.FaultUsage);
        var exec = new Command("exec", ExecUsage);
        var root = new RootCommand("Isolated.Net: run tests rootless, inspect and clean up the network state of test runs.");
        root.Subcommands.Add(exec);
        root.Subcommands.Add(up);
        root.Subcommands.Add(down);
        root.Subcommands.Add(describe);
        root.Subcommands.Add(save);
        root.Subcommands.Add(shell);
        root.Subcommands.Add(fault);
        root.Subcommands.Add(list);
        root.Subcommands.Add(reap);
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return root.Parse(args).Invoke(configuration);
    }

    // `exec NAME HOST -- CMD...` enters a host of a live session; anything else is the rootless launcher
    // (`exec [--net] [--verbose] [--] CMD...`). A program named like a session is still run rootless unless
    // that session is up.
    internal static string? IsHostExec(string[] args)
    {
        if (args.Length < 4 || args[3] != "--" || args[1].StartsWith('-') || args[2].StartsWith('-'))
        {
            return null;
        }
        return UpSessions.IsLive(args[1]) || UserNamespaceLauncher.ResolveExecutable(args[1], Environment.GetEnvironmentVariable("PATH")) is null
            ? args[1]
            : null;
    }

    private static int Down(string name, TextWriter output, TextWriter error)
    {
        int code = UpSessions.Send(name, ["down"], output, error, "down");
        if (code != 0)
        {
            return code;
        }
        // The up process answers, then releases everything and exits: wait for it, so `down` returning means gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (UpSessions.IsLive(name) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
        if (UpSessions.IsLive(name))
        {
            error.WriteLine($"isolated-net down: session '{name}' is still stopping after 60 s (pid {UpSessions.ProcessIdOf(name)})");
            return 1;
        }
        return 0;
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
        foreach (var name in UpSessions.Names())
        {
            output.WriteLine(UpSessions.IsLive(name)
                ? $"up session: {name} (pid {UpSessions.ProcessIdOf(name)}) hosts {string.Join(", ", UpSessions.HostsOf(name))}"
                : $"dead up session: {name} (its up process is gone; `isolated-net reap` releases its namespaces)");
        }
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
        var actions = RunJournals.ReapDeadRuns(dryRun).ToList();
        // A killed `up` leaves its state directory; its namespaces and names were journaled and are reaped above.
        foreach (var name in UpSessions.Names().Where(n => !UpSessions.IsLive(n)))
        {
            if (!dryRun)
            {
                UpSessions.RemoveStale(name);
            }
            actions.Add($"{(dryRun ? "would remove" : "removed")} the state of dead up session '{name}' ({UpSessions.DirectoryOf(name)})");
        }
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
