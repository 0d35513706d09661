using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

/// <summary>How a run began: when, how quiet the machine was (after waiting for it, if asked), where its logs go.</summary>
public sealed record RunStart(DateTime StartedUtc, bool MachineWasQuiet, double LoadAverageBefore, string LogDirectory)
{
    public static async Task<RunStart> BeginAsync(BenchContext context, string row, int mounts, bool waitForQuiet, CancellationToken ct)
    {
        var quiet = waitForQuiet ? await Quiet.WaitAsync(context.Log, ct: ct) : Quiet.Now();
        return new RunStart(DateTime.UtcNow, quiet.WasQuiet, quiet.Load, context.NewLogDirectory($"{row}-{mounts}"));
    }
}

/// <summary>What every run of a system under a multi-mount load records: its size, its start, its CPU window, its relays' peak memory.</summary>
public abstract record MeasuredRun
{
    public required int Mounts { get; init; }
    public required RunStart Start { get; init; }
    public required Sampler.Window Window { get; init; }
    public required long PeakRssKbRelayA { get; init; }
    public required long PeakRssKbRelayB { get; init; }
}
