namespace Davecast.Bench.Load;

/// <summary>
/// Counts of durations in 0.1 ms buckets up to 10 s (above: the last bucket), for percentiles. Not thread-safe:
/// one per thread, merged at the end.
/// </summary>
public sealed class Histogram
{
    private const double BucketMs = 0.1;
    private readonly long[] _buckets = new long[100_001];

    public long Count { get; private set; }

    public double MaxMs { get; private set; }

    public double MinMs { get; private set; } = double.PositiveInfinity;

    public void Add(double ms)
    {
        if (ms < 0) ms = 0;
        int b = (int)Math.Min(ms / BucketMs, _buckets.Length - 1);
        _buckets[b]++;
        Count++;
        if (ms > MaxMs) MaxMs = ms;
        if (ms < MinMs) MinMs = ms;
    }

    public void Merge(Histogram other)
    {
        for (int i = 0; i < _buckets.Length; i++) _buckets[i] += other._buckets[i];
        Count += other.Count;
        MaxMs = Math.Max(MaxMs, other.MaxMs);
        MinMs = Math.Min(MinMs, other.MinMs);
    }

    /// <summary>The value below which a fraction <paramref name="p"/> (0..1) of the samples lie (bucket's upper edge); NaN when empty.</summary>
    public double Percentile(double p)
    {
        if (Count == 0) return double.NaN;
        long rank = Math.Max(1, (long)Math.Ceiling(p * Count));
        long seen = 0;
        for (int i = 0; i < _buckets.Length; i++)
        {
            seen += _buckets[i];
            if (seen >= rank) return Math.Min((i + 1) * BucketMs, MaxMs);
        }
        return MaxMs;
    }

    public Summary Summarize() => new(Count, Percentile(0.5), Percentile(0.99), Count == 0 ? double.NaN : MaxMs);

    public sealed record Summary(long Count, double P50Ms, double P99Ms, double MaxMs);
}
