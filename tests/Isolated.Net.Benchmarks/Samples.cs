using System.Diagnostics;

namespace Isolated.Net.Benchmarks;

// Elapsed times of one measured operation, in milliseconds, and the order statistics the report uses.
internal sealed class Samples
{
    private readonly List<double> _milliseconds = [];

    public Samples(string name) => Name = name;

    public string Name { get; }

    public int Count => _milliseconds.Count;

    public double Median => Percentile(0.5);

    public double P90 => Percentile(0.9);

    public double Mean => _milliseconds.Count == 0 ? double.NaN : _milliseconds.Average();

    public void Add(double milliseconds) => _milliseconds.Add(milliseconds);

    // Runs body warmup times unmeasured, then iterations times measured one by one; before, if given,
    // runs unmeasured ahead of every iteration.
    public static Samples Measure(string name, int warmup, int iterations, Action body, Action? before = null)
    {
        for (int i = 0; i < warmup; i++)
        {
            before?.Invoke();
            body();
        }
        return MeasureInto(new Samples(name), 0, iterations, body, before);
    }

    public static Samples MeasureInto(Samples samples, int warmup, int iterations, Action body, Action? before = null)
    {
        for (int i = 0; i < warmup; i++)
        {
            before?.Invoke();
            body();
        }
        for (int i = 0; i < iterations; i++)
        {
            before?.Invoke();
            long start = Stopwatch.GetTimestamp();
            body();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return samples;
    }

    private double Percentile(double fraction) => Percentile(_milliseconds, fraction);

    // Nearest-rank percentile: a value that was actually observed.
    public static double Percentile(IReadOnlyCollection<double> values, double fraction)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToArray();
        int rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
