using System.Globalization;

namespace Davecast.Tests.Soak;

/// <summary>
/// The soak's knobs, from the environment bench/run.sh soak sets: its length, its seed, the processes' warm-up before
/// their first figures, and where the report goes.
/// </summary>
/// <param name="WarmUpFaults">Faults begin with the load, and the warm-up lasts until one of each kind has passed as well.</param>
public sealed record SoakSettings(TimeSpan Duration, int Seed, TimeSpan WarmUp, string? ReportPath, IReadOnlyList<string> Faults, bool WarmUpFaults)
{
    /// <summary>The faults, in the order the soak numbers them (its <see cref="FaultDeck"/> deals their numbers).</summary>
    public static readonly string[] FaultKinds = ["relay", "encoder", "cut", "loss", "redis", "edge"];

    public static SoakSettings FromEnvironment()
    {
        double minutes = Number("DAVECAST_SOAK_MINUTES", 30, min: 1);
        var duration = TimeSpan.FromMinutes(minutes);
        int seed = (int)Number("DAVECAST_SOAK_SEED", Random.Shared.Next(1, int.MaxValue), min: 0);
        // A tenth of the run, at most 3 minutes: the edges' resident set rises for about 3.5 minutes after the load begins,
        // then stays flat (bench/README.md); a 6-minute check still has 5.4 minutes of figures after warm-up.
        double warmUp = Number("DAVECAST_SOAK_WARMUP_SECONDS", Math.Min(180, duration.TotalSeconds / 10), min: 0);
        if (warmUp >= duration.TotalSeconds) throw new ArgumentException($"DAVECAST_SOAK_WARMUP_SECONDS ({warmUp}) must be shorter than the run ({minutes} minutes)");
        var report = Environment.GetEnvironmentVariable("DAVECAST_SOAK_REPORT");
        // A list of kinds to take in turn instead of drawing them: a short run then still meets every kind.
        var faults = (Environment.GetEnvironmentVariable("DAVECAST_SOAK_FAULTS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var f in faults)
            if (!FaultKinds.Contains(f)) throw new ArgumentException($"DAVECAST_SOAK_FAULTS: '{f}' is not a fault (one of {string.Join(", ", FaultKinds)})");
        bool warmUpFaults = Environment.GetEnvironmentVariable("DAVECAST_SOAK_WARMUP_FAULTS") is "1";
        return new SoakSettings(duration, seed, TimeSpan.FromSeconds(warmUp), string.IsNullOrEmpty(report) ? null : report, faults, warmUpFaults);
    }

    private static double Number(string variable, double fallback, double min)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > int.MaxValue)
            throw new ArgumentException($"{variable} must be a number of at least {min}, not '{text}'");
        return value;
    }
}
