namespace Davecast.Bench.Harness;

/// <summary>One mount count of the <c>seed</c> row: the original Davecast, then this project on the same shape.</summary>
/// <param name="OursDefault">This project again in its default shape (UDP + TCP), at one count only.</param>
public sealed record SeedStep(int Mounts, OriginalRunResult Original, LoadRunResult Ours, LoadRunResult? OursDefault)
{
    /// <summary>Relays + edge of this project (UDP only) over relays + node of the original; null when the original used nothing.</summary>
    public double? Ratio => Over(Ours.RelaysAndEdgeCores);

    public double? DefaultShapeRatio => OursDefault is { } d ? Over(d.RelaysAndEdgeCores) : null;

    private double? Over(double ours) => Original.RelaysAndNodeCores > 0 ? ours / Original.RelaysAndNodeCores : null;
}

/// <summary>The <c>seed</c> row: where it ran, how long it measured, each count's pair of runs.</summary>
public sealed record SeedComparison(string Machine, string OriginalProgram, double WindowSeconds, double WarmupSeconds, IReadOnlyList<SeedStep> Steps);
