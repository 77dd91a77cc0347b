using System.Globalization;
using System.Text;

namespace Isolated.Net;

/// <summary>One thing a run made that the kernel does not free by itself, as its journal records it.</summary>
/// <param name="Id">The entry's number within its journal.</param>
/// <param name="Kind">"netns" (processes inside a host namespace), "process", or "mount" (a /run/netns bind mount).</param>
/// <param name="Fields">The recorded identity: pid, start time, namespace inode and cookie, path.</param>
/// <param name="Released">True once the run released it itself.</param>
public sealed record JournalEntry(int Id, string Kind, IReadOnlyDictionary<string, string> Fields, bool Released)
{
    internal string? Get(string key) => Fields.TryGetValue(key, out var value) ? value : null;

    internal long GetInt64(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder().Append(Kind).Append(' ').Append(Id.ToString(CultureInfo.InvariantCulture));
        foreach (var (key, value) in Fields)
        {
            text.Append(' ').Append(key).Append('=').Append(value);
        }
        return Released ? text.Append(" (released)").ToString() : text.ToString();
    }

    // "kind id key=value ..." — values never contain spaces (paths are checked when recorded).
    internal static string Format(string kind, int id, params (string Key, object Value)[] fields)
    {
        var text = new StringBuilder().Append(kind).Append(' ').Append(id.ToString(CultureInfo.InvariantCulture));
        foreach (var (key, value) in fields)
        {
            text.Append(' ').Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
        }
        return text.Append('\n').ToString();
    }

    internal static (Dictionary<string, string> Header, List<JournalEntry> Entries) Parse(IEnumerable<string> lines)
    {
        var header = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new Dictionary<int, (string Kind, Dictionary<string, string> Fields)>();
        var released = new HashSet<int>();
        var order = new List<int>();
        foreach (var line in lines)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }
            if (parts[0] == "run")
            {
                foreach (var (key, value) in Pairs(parts.Skip(1)))
                {
                    header[key] = value;
                }
                continue;
            }
            if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                continue; // a torn last line after a crash mid-write: ignore it
            }
            if (parts[0] == "released")
            {
                released.Add(id);
            }
            else if (parts[0] == "bound" && entries.TryGetValue(id, out var bound))
            {
                foreach (var (key, value) in Pairs(parts.Skip(2)))
                {
                    bound.Fields[key] = value;
                }
            }
            else if (!entries.ContainsKey(id))
            {
                entries[id] = (parts[0], Pairs(parts.Skip(2)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
                order.Add(id);
            }
        }
        return (header, order.Select(id => new JournalEntry(id, entries[id].Kind, entries[id].Fields, released.Contains(id))).ToList());

        static IEnumerable<(string Key, string Value)> Pairs(IEnumerable<string> parts) =>
            parts.Select(p => p.Split('=', 2)).Where(kv => kv.Length == 2).Select(kv => (kv[0], kv[1]));
    }
}
