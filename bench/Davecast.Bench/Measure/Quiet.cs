namespace Davecast.Bench.Measure;

/// <summary>
/// Waits until the machine is quiet before a measurement: the one-minute load average below a threshold, checked
/// every 15 s, for at most 10 minutes. Whether it ever was goes into the results.
/// </summary>
public static class Quiet
{
    public sealed record Outcome(bool WasQuiet, double Load, TimeSpan Waited);

    /// <summary>Without waiting: whether the machine is quiet now.</summary>
    public static Outcome Now(double threshold = 0.5)
    {
        double load = ProcStat.LoadAverage();
        return new Outcome(load < threshold, load, TimeSpan.Zero);
    }

    public static async Task<Outcome> WaitAsync(TextWriter log, double threshold = 0.5, TimeSpan? max = null, TimeSpan? every = null, CancellationToken ct = default)
    {
        var limit = max ?? TimeSpan.FromMinutes(10);
        var step = every ?? TimeSpan.FromSeconds(15);
        var started = DateTime.UtcNow;
        while (true)
        {
            double load = ProcStat.LoadAverage();
            var waited = DateTime.UtcNow - started;
            if (load < threshold)
            {
                log.WriteLine($"machine quiet: load average {load:F2} < {threshold:F2} (waited {waited.TotalSeconds:F0} s)");
                return new Outcome(true, load, waited);
            }
            if (waited >= limit)
            {
                log.WriteLine($"machine NOT quiet after {waited.TotalMinutes:F0} min: load average {load:F2}; measuring anyway");
                return new Outcome(false, load, waited);
            }
            log.WriteLine($"waiting for a quiet machine: load average {load:F2} >= {threshold:F2}");
            await Task.Delay(step, ct);
        }
    }
}
