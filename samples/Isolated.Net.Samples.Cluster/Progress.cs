using System.Diagnostics;

// Progress lines, stamped with the time since the demo started.
internal static class Progress
{
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();

    public static void Say(string text) => Console.WriteLine($"[{s_clock.Elapsed.TotalSeconds,5:0.00}s] {text}");
}
