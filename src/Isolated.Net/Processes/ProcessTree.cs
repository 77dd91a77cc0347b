using System.Globalization;

namespace Isolated.Net.Processes;

// A process and all its descendants, from the parent links in /proc/PID/stat.
internal static class ProcessTree
{
    public static List<int> Of(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                int parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // exited while we looked
            }
        }
        var tree = new List<int> { root };
        for (int i = 0; i < tree.Count; i++)
        {
            if (children.TryGetValue(tree[i], out var list))
            {
                tree.AddRange(list);
            }
        }
        return tree;
    }
}
