using System.Globalization;

namespace Isolated.Net.Cli;

// What a running `up` does for `isolated-net fault/describe/save/down`: the same Topology calls a test makes.
internal sealed class SessionCommands(Topology topology)
{
    public const string FaultUsage =
        "isolated-net fault NAME isolate HOST | partition A,B C[,D]... | cut A B | heal | down HOST:IF | up HOST:IF | "
        + "impair HOST:IF [delay=50ms] [jitter=5ms] [loss=1%] [rate=10mbit] [seed=7] [direction=out|in] | clear";

    public (int Code, string Reply) Execute(string[] request)
    {
        try
        {
            return request switch
            {
                ["describe"] => (0, topology.Describe()),
                ["down"] => (0, "stopping\n"),
                ["save", var path] => Save(path),
                ["fault", .. var rest] => (0, Fault([.. rest]) + "\n"),
                _ => (2, $"unknown request '{string.Join(' ', request)}'\n"),
            };
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or NotSupportedException or NetworkOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            return (1, e.Message + "\n");
        }
    }

    private (int, string) Save(string path)
    {
        topology.ToFile(path);
        return (0, $"saved {path}\n");
    }

    private string Fault(string[] args)
    {
        switch (args)
        {
            case ["isolate", var host]:
                topology.Isolate(host);
                return $"isolated {host}; cuts now: {Cuts()}";
            case ["partition", .. var groups] when groups.Length >= 2:
                topology.Partition([.. groups.Select(g => (IReadOnlyList<string>)g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))]);
                return $"partitioned {string.Join(" | ", groups)}; cuts now: {Cuts()}";
            case ["cut", var from, var to]:
                topology.Cut(from, to);
                return $"cut {from} <-> {to}; cuts now: {Cuts()}";
            case ["heal"]:
                topology.Heal();
                return "healed: no cuts";
            case ["clear"]:
                topology.ClearFaults();
                return "cleared every fault";
            case ["down", var reference]:
                Interface(reference).SetDown();
                return $"{reference} is down";
            case ["up", var reference]:
                Interface(reference).SetUp();
                return $"{reference} is up";
            case ["impair", var reference, .. var settings]:
                return Impair(Interface(reference), settings);
            default:
                throw new ArgumentException($"not a fault: '{string.Join(' ', args)}'. Usage: {FaultUsage}");
        }
    }

    private string Cuts() => topology.ActiveCuts.Count == 0 ? "none" : string.Join(", ", topology.ActiveCuts);

    private HostInterface Interface(string reference)
    {
        int colon = reference.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == reference.Length - 1)
        {
            throw new ArgumentException($"'{reference}' is not HOST:INTERFACE, e.g. a:eth0.");
        }
        return topology.InterfaceOf(reference[..colon], reference[(colon + 1)..]);
    }

    // An impaired link's or connection's end: its forwarder's direction (seeded at build, so seed= is
    // refused); a plain veth end: the kernel impairment (tc qdiscs and the fault filter).
    private static string Impair(HostInterface target, string[] settings)
    {
        TimeSpan delay = TimeSpan.Zero, jitter = TimeSpan.Zero;
        double lossPercent = 0;
        long? rate = null;
        int? seed = null;
        bool outbound = true;
        foreach (var setting in settings)
        {
            var (key, value) = setting.IndexOf('=', StringComparison.Ordinal) is int eq and > 0 ? (setting[..eq], setting[(eq + 1)..]) : (setting, "");
            switch (key)
            {
                case "delay":
                    delay = Duration(value, key);
                    break;
                case "jitter":
                    jitter = Duration(value, key);
                    break;
                case "loss":
                    lossPercent = double.TryParse(value.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var loss) ? loss
                        : throw new FormatException($"loss '{value}' is not a percentage such as 1%.");
                    break;
                case "rate":
                    rate = Rate(value);
                    break;
                case "seed":
                    seed = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw new FormatException($"seed '{value}' is not an integer.");
                    break;
                case "direction":
                    outbound = value switch
                    {
                        "out" => true,
                        "in" => false,
                        _ => throw new FormatException($"direction '{value}' is not out or in."),
                    };
                    break;
                default:
                    throw new ArgumentException($"unknown impairment setting '{setting}'; use delay=, jitter=, loss=, rate=, seed=, direction=.");
            }
        }
        if (target.HasForwarder)
        {
            if (seed is not null)
            {
                throw new ArgumentException($"{target} is an impaired link's end, seeded when it was built ({target.Forwarder.Seed}); its seed cannot change. Drop seed=.");
            }
            var link = target.Host.Topology.Links.FirstOrDefault(l => l.First == target || l.Second == target);
            bool aToB = (link is null || link.First == target) == outbound;
            var direction = aToB ? target.Forwarder.AtoB : target.Forwarder.BtoA;
            direction.Update(o =>
            {
                o.Delay = delay;
                o.Jitter = jitter;
                o.Loss = lossPercent / 100;
                o.RateBitsPerSecond = rate ?? 0;
            });
            return $"{target} {(outbound ? "outbound" : "inbound")} ({direction}): {direction.Settings} (seed {target.Forwarder.Seed})";
        }
        var impairment = new KernelImpairment { Latency = delay, Jitter = jitter, LossPercent = lossPercent, BandwidthBitsPerSecond = rate, Seed = seed ?? 0 };
        impairment.Validate();
        if (outbound)
        {
            target.Impair(impairment);
        }
        else
        {
            target.ImpairInbound(impairment);
        }
        return $"{target} {(outbound ? "outbound" : "inbound")}: {impairment}";
    }

    private static TimeSpan Duration(string value, string key) =>
        TopologyFileWriter.TryParseDuration(value, out var duration) ? duration : throw new FormatException($"{key} '{value}' is not a duration such as 50ms.");

    private static long Rate(string value)
    {
        var units = new (string Suffix, long Factor)[] { ("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1_000), ("bit", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(value.AsSpan(0, value.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
            {
                return (long)(number * factor);
            }
        }
        throw new FormatException($"rate '{value}' is not a rate such as 10mbit.");
    }
}
