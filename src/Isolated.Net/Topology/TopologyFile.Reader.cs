using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Isolated.Net.Faults;

namespace Isolated.Net;

// Reads a topology file into a TopologyBuilder. Every problem is collected (syntax first: System.Text.Json
// stops at the first), each naming its JSON path and line, then the builder's own validation runs and its
// problems are placed at the element they name. All of it happens before the kernel is touched.
internal static class TopologyFileReader
{
    public static TopologyBuilder Load(ReadOnlySpan<byte> utf8, string source)
    {
        var lines = new LineMap(utf8);
        TopologyFileModel? model;
        try
        {
            model = JsonSerializer.Deserialize(utf8, TopologyFileJsonContext.Default.TopologyFileModel);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is long line
                ? $"line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}{(string.IsNullOrEmpty(e.Path) ? "" : ", " + e.Path)}"
                : e.Path ?? "$";
            throw new TopologyValidationException([$"{source}: {where}: {FirstSentence(e.Message)}"]);
        }
        if (model is null)
        {
            throw new TopologyValidationException([$"{source}: line 1: the file holds `null`, not a topology object."]);
        }
        var reader = new ModelReader(source, lines);
        var builder = reader.Read(model);
        var problems = reader.Problems;
        if (problems.Count == 0)
        {
            try
            {
                builder.Validate();
            }
            catch (TopologyValidationException e)
            {
                problems.AddRange(e.Problems.Select(reader.Locate));
            }
        }
        if (problems.Count > 0)
        {
            throw new TopologyValidationException(problems);
        }
        return builder;
    }

    // System.Text.Json appends its own "Path: ... | LineNumber: ..." tail, which we already say.
    private static string FirstSentence(string message)
    {
        int tail = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return tail > 0 ? message[..tail] : message;
    }

    private sealed class ModelReader(string source, LineMap lines)
    {
        private readonly Dictionary<string, string> _elementPaths = new(StringComparer.Ordinal);

        public List<string> Problems { get; } = [];

        public TopologyBuilder Read(TopologyFileModel model)
        {
            var builder = new TopologyBuilder();
            if (model.Version is { } version && version != 1)
            {
                Problem("$.version", $"version {version} is not known; this library reads version 1.");
            }
            if (model.Ipv4Pool is { } ipv4Pool)
            {
                builder = builder.WithIPv4Pool(ipv4Pool);
            }
            if (model.Ipv6Pool is { } ipv6Pool)
            {
                builder = builder.WithIPv6Pool(ipv6Pool);
            }
            if (model.Ipv6 == false)
            {
                builder = builder.WithoutIPv6();
            }
            if (model.DefaultRoutes == false)
            {
                builder = builder.WithoutDefaultRoutes();
            }
            if (model.AddressPreference is { } preference)
            {
                if (Enum.TryParse<AddressPreference>(preference, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
                {
                    builder = builder.WithAddressPreference(parsed);
                }
                else
                {
                    Problem("$.addressPreference", $"'{preference}' is not IPv4First or IPv6First.");
                }
            }
            var hosts = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (host, path) in Items(model.Hosts, "$.hosts"))
            {
                if (Required(host.Name, path + ".name", "a host needs a name") is { } name)
                {
                    hosts.Add(name);
                    _elementPaths.TryAdd(name, path);
                    builder = host.Router == true ? builder.AddRouter(name) : builder.AddHost(name);
                }
            }
            var switches = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (sw, path) in Items(model.Switches, "$.switches"))
            {
                if (Required(sw.Name, path + ".name", "a switch needs a name") is { } name)
                {
                    switches.Add(name);
                    _elementPaths.TryAdd(name, path);
                    builder = builder.AddSwitch(name, o => (o.IPv4Subnet, o.IPv6Subnet, o.Mtu) = (sw.Ipv4Subnet, sw.Ipv6Subnet, sw.Mtu));
                }
            }
            foreach (var (connection, path) in Items(model.Connections, "$.connections"))
            {
                var host = HostRef(connection.Host, path + ".host", hosts);
                var sw = Required(connection.Switch, path + ".switch", "a connection names its switch");
                if (sw is not null && !switches.Contains(sw))
                {
                    Problem(path + ".switch", $"switch '{sw}' is not declared under \"switches\".");
                    sw = null;
                }
                var impairment = Impairment(connection.Impaired, path + ".impaired");
                if (host is null || sw is null)
                {
                    continue;
                }
                _elementPaths.TryAdd(host + ":" + sw, path);
                void Configure(InterfaceOptions o) => (o.Name, o.IPv4, o.IPv6) = (connection.Interface, connection.Ipv4, connection.Ipv6);
                builder = connection.Impaired is null
                    ? builder.Connect(host, sw, Configure)
                    : builder.ConnectImpaired(host, sw, impairment, Configure);
            }
            foreach (var (link, path) in Items(model.Links, "$.links"))
            {
                var first = HostRef(link.First, path + ".first", hosts);
                var second = HostRef(link.Second, path + ".second", hosts);
                var impairment = Impairment(link.Impaired, path + ".impaired");
                if (first is null || second is null)
                {
                    continue;
                }
                _elementPaths.TryAdd(Topology.LinkName(first, second), path);
                void Configure(LinkOptions o)
                {
                    (o.IPv4Subnet, o.IPv6Subnet, o.Mtu) = (link.Ipv4Subnet, link.Ipv6Subnet, link.Mtu);
                    (o.First.Name, o.First.IPv4, o.First.IPv6) = (link.FirstInterface?.Name, link.FirstInterface?.Ipv4, link.FirstInterface?.Ipv6);
                    (o.Second.Name, o.Second.IPv4, o.Second.IPv6) = (link.SecondInterface?.Name, link.SecondInterface?.Ipv4, link.SecondInterface?.Ipv6);
                }
                builder = link.Impaired is null
                    ? builder.Link(first, second, Configure)
                    : builder.ImpairedLink(first, second, impairment, Configure);
            }
            foreach (var (route, path) in Items(model.Routes, "$.routes"))
            {
                var host = HostRef(route.Host, path + ".host", hosts);
                var destination = Required(route.Destination, path + ".destination", "a route needs a destination (a prefix or \"default\")");
                var via = Required(route.Via, path + ".via", "a route needs \"via\" (a neighbour's name or a gateway address)");
                if (host is not null && destination is not null && via is not null)
                {
                    builder = builder.AddRoute(host, destination, via);
                }
            }
            if (model.Faults is { } faults)
            {
                builder = builder.WithSavedFaults(Faults(faults, hosts));
            }
            return builder;
        }

        // The builder's problems name elements ('a', switch 'lan', link a<->b); point at the first one the file declares,
        // quoted names first.
        public string Locate(string problem)
        {
            int start = 0;
            while ((start = problem.IndexOf('\'', start)) >= 0)
            {
                int end = problem.IndexOf('\'', start + 1);
                if (end < 0)
                {
                    break;
                }
                if (_elementPaths.TryGetValue(problem[(start + 1)..end], out var path))
                {
                    return $"{source}: {Where(path)}: {problem}";
                }
                start = end + 1;
            }
            foreach (var word in problem.Split([' ', '\'', ',', ';', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (_elementPaths.TryGetValue(word.TrimEnd(':', '.'), out var path))
                {
                    return $"{source}: {Where(path)}: {problem}";
                }
            }
            return $"{source}: {problem}";
        }

        private SavedFaults Faults(FaultsFileModel faults, HashSet<string> hosts)
        {
            var isolated = new List<string>();
            foreach (var (name, path) in Items(faults.Isolated, "$.faults.isolated"))
            {
                if (HostRef(name, path, hosts) is { } host)
                {
                    isolated.Add(host);
                }
            }
            var cuts = new List<CutRule>();
            foreach (var (cut, path) in Items(faults.Cuts, "$.faults.cuts"))
            {
                if (Rule(cut, path, hosts, withMode: true) is { } rule)
                {
                    cuts.Add(rule);
                }
            }
            var allows = new List<AllowRule>();
            foreach (var (allow, path) in Items(faults.Allows, "$.faults.allows"))
            {
                if (Rule(allow, path, hosts, withMode: false) is { } rule)
                {
                    allows.Add(new AllowRule(rule.From, rule.To, rule.Protocol, rule.Port));
                }
            }
            var down = new List<(string, string)>();
            foreach (var (name, path) in Items(faults.Down, "$.faults.down"))
            {
                if (InterfaceRef(name, path, hosts) is { } reference)
                {
                    down.Add(reference);
                }
            }
            var impairments = new List<(string, string, bool, KernelImpairment)>();
            foreach (var (impairment, path) in Items(faults.Impairments, "$.faults.impairments"))
            {
                var reference = InterfaceRef(impairment.Interface, path + ".interface", hosts);
                bool outbound = true;
                if (impairment.Direction is { } direction && direction is not ("outbound" or "inbound"))
                {
                    Problem(path + ".direction", $"'{direction}' is not \"outbound\" or \"inbound\".");
                }
                else
                {
                    outbound = impairment.Direction != "inbound";
                }
                var kernel = new KernelImpairment
                {
                    BandwidthBitsPerSecond = impairment.BandwidthBitsPerSecond,
                    LossPercent = impairment.LossPercent ?? 0,
                    Latency = Duration(impairment.Latency, path + ".latency"),
                    Jitter = Duration(impairment.Jitter, path + ".jitter"),
                    DuplicatePercent = impairment.DuplicatePercent ?? 0,
                    ReorderPercent = impairment.ReorderPercent ?? 0,
                    Seed = impairment.Seed ?? 0,
                };
                try
                {
                    kernel.Validate();
                }
                catch (ArgumentException e)
                {
                    Problem(path, e.Message);
                }
                if (reference is { } found)
                {
                    impairments.Add((found.Host, found.Interface, outbound, kernel));
                }
            }
            return new SavedFaults(isolated, cuts, allows, down, impairments);
        }

        private CutRule? Rule(CutFileModel cut, string path, HashSet<string> hosts, bool withMode)
        {
            var from = HostRef(cut.From, path + ".from", hosts);
            var to = HostRef(cut.To, path + ".to", hosts);
            var mode = CutMode.Drop;
            if (cut.Mode is { } modeText)
            {
                if (!withMode)
                {
                    Problem(path + ".mode", "an allow has no mode.");
                }
                else if (!Enum.TryParse(modeText, ignoreCase: true, out mode) || !Enum.IsDefined(mode))
                {
                    Problem(path + ".mode", $"'{modeText}' is not \"drop\" or \"reject\".");
                }
            }
            ProtocolType? protocol = cut.Protocol switch
            {
                null => null,
                "tcp" => ProtocolType.Tcp,
                "udp" => ProtocolType.Udp,
                "icmp" => ProtocolType.Icmp,
                "icmpv6" => ProtocolType.IcmpV6,
                _ => (ProtocolType)(-1),
            };
            if (protocol == (ProtocolType)(-1))
            {
                Problem(path + ".protocol", $"'{cut.Protocol}' is not tcp, udp, icmp or icmpv6.");
                protocol = null;
            }
            try
            {
                new CutOptions { Protocol = protocol, Port = cut.Port, Mode = mode }.Validate();
            }
            catch (ArgumentException e)
            {
                Problem(path, e.Message);
            }
            if (from is not null && to is not null && from == to)
            {
                Problem(path + ".to", $"host '{from}' cannot be cut from itself.");
                return null;
            }
            return from is null || to is null ? null : new CutRule(from, to, mode, protocol, cut.Port);
        }

        private (string Host, string Interface)? InterfaceRef(string? text, string path, HashSet<string> hosts)
        {
            if (Required(text, path, "name an interface as HOST:INTERFACE, e.g. \"a:eth0\"") is not { } value)
            {
                return null;
            }
            int colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == value.Length - 1)
            {
                Problem(path, $"'{value}' is not HOST:INTERFACE, e.g. \"a:eth0\".");
                return null;
            }
            return HostRef(value[..colon], path, hosts) is { } host ? (host, value[(colon + 1)..]) : null;
        }

        private Action<ImpairedLinkOptions>? Impairment(ImpairedLinkFileModel? impaired, string path)
        {
            if (impaired is null)
            {
                return null;
            }
            var aToB = impaired.AtoB is null ? null : Settings(impaired.AtoB, path + ".aToB");
            var bToA = impaired.BtoA is null ? null : Settings(impaired.BtoA, path + ".bToA");
            return o =>
            {
                o.Seed = impaired.Seed ?? 0;
                o.RealTimePriority = impaired.RealTimePriority ?? true;
                o.TraceCapacity = impaired.TraceCapacity ?? 0;
                aToB?.Invoke(o.AtoB);
                bToA?.Invoke(o.BtoA);
            };
        }

        private Action<ImpairmentSettings> Settings(ImpairmentFileModel model, string path)
        {
            var delay = Duration(model.Delay, path + ".delay");
            var jitter = Duration(model.Jitter, path + ".jitter");
            var reorderTimeout = model.ReorderTimeout is null ? (TimeSpan?)null : Duration(model.ReorderTimeout, path + ".reorderTimeout");
            var distribution = JitterDistribution.Uniform;
            if (model.JitterDistribution is { } text && (!Enum.TryParse(text, ignoreCase: true, out distribution) || !Enum.IsDefined(distribution)))
            {
                Problem(path + ".jitterDistribution", $"'{text}' is not \"uniform\" or \"normal\".");
            }
            GilbertElliottLoss? burst = model.BurstLoss is { } b
                ? new GilbertElliottLoss(b.GoodToBad ?? 0, b.BadToGood ?? 0, b.LossInGood ?? 0, b.LossInBad ?? 1)
                : null;
            void Apply(ImpairmentSettings s)
            {
                s.Delay = delay;
                s.Jitter = jitter;
                s.JitterDistribution = distribution;
                s.Loss = model.Loss ?? 0;
                s.BurstLoss = burst;
                s.Duplication = model.Duplication ?? 0;
                s.Reordering = model.Reordering ?? 0;
                if (reorderTimeout is { } timeout)
                {
                    s.ReorderTimeout = timeout;
                }
                s.RateBitsPerSecond = model.RateBitsPerSecond ?? 0;
                if (model.QueueLimit is { } limit)
                {
                    s.QueueLimit = limit;
                }
                s.ImpairLinkControl = model.ImpairLinkControl ?? false;
            }
            var check = new ImpairmentSettings();
            Apply(check);
            foreach (var problem in check.Problems())
            {
                Problem(path, problem);
            }
            return Apply;
        }

        private TimeSpan Duration(string? text, string path)
        {
            if (text is null)
            {
                return TimeSpan.Zero;
            }
            if (TopologyFileWriter.TryParseDuration(text, out var value))
            {
                return value;
            }
            Problem(path, $"'{text}' is not a duration such as \"50ms\", \"1.5s\" or \"200us\".");
            return TimeSpan.Zero;
        }

        private string? HostRef(string? name, string path, HashSet<string> hosts)
        {
            if (Required(name, path, "name a host") is not { } value)
            {
                return null;
            }
            if (!hosts.Contains(value))
            {
                Problem(path, $"host '{value}' is not declared under \"hosts\".");
                return null;
            }
            return value;
        }

        private string? Required(string? value, string path, string what)
        {
            if (string.IsNullOrEmpty(value))
            {
                Problem(path, $"missing: {what}.");
                return null;
            }
            return value;
        }

        private IEnumerable<(T Item, string Path)> Items<T>(List<T?>? items, string path)
            where T : class
        {
            for (int i = 0; i < (items?.Count ?? 0); i++)
            {
                var itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]");
                if (items![i] is { } item)
                {
                    yield return (item, itemPath);
                }
                else
                {
                    Problem(itemPath, "null is not allowed here.");
                }
            }
        }

        private void Problem(string path, string message) => Problems.Add($"{source}: {Where(path)}: {message}");

        private string Where(string path) => lines.LineOf(path) is int line
            ? string.Create(CultureInfo.InvariantCulture, $"line {line}, {path}")
            : path;
    }

    // JSON path ($.links[2].first) → 1-based line of its value, from one pass of Utf8JsonReader.
    private sealed class LineMap
    {
        private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

        public LineMap(ReadOnlySpan<byte> utf8)
        {
            try
            {
                Walk(utf8);
            }
            catch (JsonException)
            {
                // Malformed: the deserializer reports it with its position.
            }
        }

        public int? LineOf(string path)
        {
            // An element with a missing member: point at the element.
            while (true)
            {
                if (_lines.TryGetValue(path, out int line))
                {
                    return line;
                }
                int cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
                if (cut <= 0)
                {
                    return null;
                }
                path = path[..cut];
            }
        }

        private void Walk(ReadOnlySpan<byte> utf8)
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var stack = new Stack<(string Path, bool IsArray, int Index)>();
            string? property = null;
            int line = 1;
            long counted = 0;
            while (reader.Read())
            {
                var start = reader.TokenStartIndex;
                line += utf8[(int)counted..(int)start].Count((byte)'\n');
                counted = start;
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    property = reader.GetString();
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    stack.Pop();
                    continue;
                }
                string path;
                if (stack.Count == 0)
                {
                    path = "$";
                }
                else
                {
                    var (parent, isArray, index) = stack.Pop();
                    path = isArray ? string.Create(CultureInfo.InvariantCulture, $"{parent}[{index}]") : parent + "." + property;
                    stack.Push((parent, isArray, index + 1));
                }
                _lines.TryAdd(path, line);
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    stack.Push((path, reader.TokenType == JsonTokenType.StartArray, 0));
                }
            }
        }
    }
}

// Faults a saved topology had in force, applied right after the build (TopologyBuilder.Build).
internal sealed record SavedFaults(
    IReadOnlyList<string> Isolated,
    IReadOnlyList<CutRule> Cuts,
    IReadOnlyList<AllowRule> Allows,
    IReadOnlyList<(string Host, string Interface)> Down,
    IReadOnlyList<(string Host, string Interface, bool Outbound, KernelImpairment Impairment)> Impairments)
{
    public bool IsEmpty => Isolated.Count == 0 && Cuts.Count == 0 && Allows.Count == 0 && Down.Count == 0 && Impairments.Count == 0;
}
