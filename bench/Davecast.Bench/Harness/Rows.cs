using System.Globalization;
using System.Text;
using System.Text.Json;
using Davecast.Bench.Cli;
using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

/// <summary>
/// The rows of BENCHMARKS.md. Each row runs, prints its table, and leaves <c>results/&lt;row&gt;.json</c> and
/// <c>results/&lt;row&gt;.md</c> (with every figure) in the results directory.
/// </summary>
public static class Rows
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Row 1: the original's workload, 250 mounts (half AAC 48 kbps, half MP3 128 kbps), two encoders each, 60 s.</summary>
    public static async Task<LoadRunResult> OriginalAsync(BenchContext context, LoadRunOptions options, CancellationToken ct)
    {
        var r = await LoadRun.RunAsync(context, "original", options, ct);
        var md = new StringBuilder();
        md.AppendLine(LoadHeader);
        md.AppendLine(LoadLine(r));
        md.AppendLine();
        md.AppendLine(Details(r));
        Save(context, "original", r, md.ToString());
        return r;
    }

    /// <summary>Row 2: more and more mounts, until frames are lost or the machine's CPU is saturated.</summary>
    public static async Task<List<LoadRunResult>> ScaleAsync(BenchContext context, IReadOnlyList<int> counts, LoadRunOptions options, CancellationToken ct)
    {
        var results = new List<LoadRunResult>();
        var md = new StringBuilder();
        md.AppendLine(LoadHeader);
        string? stopped = null;
        foreach (int count in counts)
        {
            var r = await LoadRun.RunAsync(context, "scale", options with { Mounts = count }, ct);
            results.Add(r);
            md.AppendLine(LoadLine(r));
            bool saturated = r.Window.SystemBusyCores >= 0.95 * Environment.ProcessorCount;
            if (!r.Clean || saturated)
            {
                stopped = $"Stopped at {count} mounts: " + (!r.Clean ? "frames lost or mounts not fully played" : "")
                    + (!r.Clean && saturated ? "; " : "") + (saturated ? $"the machine was {r.Window.SystemBusyCores:F2} of {Environment.ProcessorCount} cores busy" : "") + ".";
                break;
            }
        }
        md.AppendLine();
        md.AppendLine(stopped ?? $"No loss and no saturation up to {counts[^1]} mounts.");
        foreach (var r in results) md.AppendLine().AppendLine(Details(r));
        Save(context, "scale", results, md.ToString());
        return results;
    }

    /// <summary>
    /// The side-by-side: for each mount count, the original Davecast (Go, from <paramref name="originalProgram"/>) and
    /// then this project, one after the other, on the same shape (UDP only, no listeners), each in its own protocol;
    /// at <paramref name="defaultShapeAt"/> mounts this project once more in its default shape (UDP + TCP).
    /// </summary>
    public static async Task<SeedComparison> SeedAsync(BenchContext context, string originalProgram, IReadOnlyList<int> counts, int defaultShapeAt, LoadRunOptions shape, CancellationToken ct)
    {
        var steps = new List<SeedStep>();
        foreach (int count in counts)
        {
            var at = shape with { Mounts = count, Checked = 0, Transport = "udp" };
            var original = await OriginalRun.RunAsync(context, originalProgram, at, ct);
            var ours = await LoadRun.RunAsync(context, "seed-ours", at, ct);
            var oursDefault = defaultShapeAt > 0 && count == defaultShapeAt
                ? await LoadRun.RunAsync(context, "seed-ours-default", at with { Transport = "both" }, ct)
                : null;
            steps.Add(new SeedStep(count, original, ours, oursDefault));
        }
        var result = new SeedComparison(Machine.Describe(), originalProgram, shape.WindowSeconds, shape.WarmupSeconds, steps);

        var md = new StringBuilder();
        md.AppendLine($"Machine: {result.Machine}. For each mount count, one after the other in one run: the original Davecast ({originalProgram}), then this project, on the same shape: "
            + "N mounts (AAC 48 kbps and MP3 128 kbps in turn) × 2 encoders, every frame over UDP to 2 relays, one node (the original) or edge (this project), no listeners; each system in its own wire protocol; "
            + string.Create(Inv, $"mount start times spread over {shape.SpreadSeconds:0.###} s{(shape.SpreadSeconds == 0 ? " (every encoder in phase)" : "")}. ")
            + string.Create(Inv, $"CPU is utime + stime from /proc over {shape.WindowSeconds:F0} s after {shape.WarmupSeconds:F0} s of warm-up, in cores; the load generators are not in the totals. The original counts no gaps (-); what its node logs going wrong in the window (stalled streams, dropped mounts, full queues) is given instead, when there is any."));
        md.AppendLine();
        md.AppendLine("| mounts | system | relay-a | relay-b | node/edge | relays + node/edge | load generator | peak RSS relay-a / relay-b / node-edge | gaps | ratio ours/original |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var s in steps)
        {
            var o = s.Original;
            md.AppendLine(string.Create(Inv,
                $"| {s.Mounts} | original Davecast, UDP | {o.Window["relay-a"]?.Cores:F3} | {o.Window["relay-b"]?.Cores:F3} | {o.Window["node"]?.Cores:F3} | **{o.RelaysAndNodeCores:F3}** | {o.Window["load"]?.Cores:F3} | {o.PeakRssKbRelayA / 1024} / {o.PeakRssKbRelayB / 1024} / {o.PeakRssKbNode / 1024} MB | {OriginalTrouble(o)} | |"));
            md.AppendLine(SeedLine(s.Mounts, "this project, UDP only", s.Ours, s.Ratio));
            if (s.OursDefault is { } d) md.AppendLine(SeedLine(s.Mounts, "this project, UDP + TCP (its default)", d, s.DefaultShapeRatio));
        }
        md.AppendLine();
        foreach (var s in steps)
        {
            md.Append(string.Create(Inv, $"- **{s.Mounts} mounts{(s.Mounts == 0 ? " (idle)" : "")}**: this project {s.Ours.RelaysAndEdgeCores:F3} cores against the original's {s.Original.RelaysAndNodeCores:F3}: {Times(s.Ratio)}"));
            if (s.OursDefault is { } d)
            {
                string target = d.RelaysAndEdgeCores <= s.Original.RelaysAndNodeCores ? "at or below" : "above";
                md.Append(string.Create(Inv, $"; in its default shape (UDP + TCP) {d.RelaysAndEdgeCores:F3} cores, {Times(s.DefaultShapeRatio)}: {target} the original's UDP-only figure"));
            }
            md.AppendLine(".");
            if (!s.Original.Clean)
                md.AppendLine(string.Create(Inv, $"  **The original did not carry this load**: its node listed {s.Original.MountsListed} of {s.Mounts} mounts at the end and logged {s.Original.TroubleInRun} over the run, so its figure is not a cost of the same work."));
        }
        md.AppendLine();
        md.AppendLine("Each run:");
        md.AppendLine();
        foreach (var s in steps)
        {
            md.AppendLine(string.Create(Inv, $"- original, {s.Mounts} mounts: machine quiet before: {(s.Original.Start.MachineWasQuiet ? "yes" : "NO")} (load average {s.Original.Start.LoadAverageBefore:F2}); all listed after {s.Original.SecondsUntilAllListed:F0} s; window {s.Original.Window.WallSeconds:F1} s; {OriginalRun.Describe(s.Original)}; logs: {s.Original.Start.LogDirectory}"));
            md.AppendLine($"- this project, UDP only, {Details(s.Ours)}");
            if (s.OursDefault is { } d) md.AppendLine($"- this project, UDP + TCP, {Details(d)}");
        }
        Save(context, "seed", result, md.ToString());
        return result;
    }

    private static string SeedLine(int mounts, string system, LoadRunResult r, double? ratio) => string.Create(Inv,
        $"| {mounts} | {system} | {r.Window["relay-a"]?.Cores:F3} | {r.Window["relay-b"]?.Cores:F3} | {r.Window["edge"]?.Cores:F3} | **{r.RelaysAndEdgeCores:F3}** | {r.Window["load"]?.Cores:F3} | {r.PeakRssKbRelayA / 1024} / {r.PeakRssKbRelayB / 1024} / {r.PeakRssKbEdge / 1024} MB | {r.EdgeGapFrames} | **{Times(ratio)}** |");

    // The original counts no gaps; what it logs instead: streams that stalled and mounts it dropped.
    private static string OriginalTrouble(OriginalRunResult o) =>
        o.TroubleInWindow.Any ? $"- ({o.TroubleInWindow})" : "-";

    private static string Times(double? ratio) => ratio is { } x ? string.Create(Inv, $"{x:F2}x") : "-";

    /// <summary>Row 4 (first part): latency from the generator's send to the listener's arrival, and time to first audio byte.</summary>
    public static async Task<LoadRunResult> LatencyAsync(BenchContext context, LoadRunOptions options, CancellationToken ct)
    {
        var r = await LoadRun.RunAsync(context, "latency", options, ct);
        var md = new StringBuilder();
        md.AppendLine("| mounts | listeners checked | frames timed | latency p50 | latency p99 | latency max | first audio p50 | first audio p99 | first audio max | probes failed | frames lost |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var l = r.Load.Latency;
        var t = r.Load.TimeToFirstAudio;
        md.AppendLine(string.Create(Inv, $"| {r.Mounts} | {r.Load.Listeners?.CheckedListeners ?? 0} | {l?.Count ?? 0} | {l?.P50Ms:F0} ms | {l?.P99Ms:F0} ms | {l?.MaxMs:F0} ms | {t?.P50Ms:F1} ms | {t?.P99Ms:F1} ms | {t?.MaxMs:F1} ms | {r.Load.TtfbFailures} | {r.FramesLost} |"));
        md.AppendLine();
        md.AppendLine(Details(r));
        Save(context, "latency", r, md.ToString());
        return r;
    }

    /// <summary>Row 3: fan-out of one mount, edge against icecast2.</summary>
    public static async Task<FanoutResult> FanoutAsync(BenchContext context, FanoutOptions options, CancellationToken ct)
    {
        var r = await FanoutRun.RunAsync(context, options, ct);
        var md = new StringBuilder();
        md.AppendLine("| listeners | server | CPU (cores) | CPU per listener (µs/s) | above idle, per listener (µs/s) | RSS per listener | listeners lost | bytes/s per listener | checked frames (missing/repeated) | listener process CPU | edge/icecast2 CPU | edge/icecast2 RSS |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
        foreach (var s in r.Steps)
        {
            md.AppendLine(Side(s.Edge, string.Create(Inv, $"{s.CpuRatio:F2}"), string.Create(Inv, $"{s.RssRatio:F2}")));
            md.AppendLine(Side(s.Icecast, "", ""));
        }
        md.AppendLine();
        md.AppendLine(string.Create(Inv, $"Machine quiet before the run: {(r.MachineWasQuiet ? "yes" : "NO")} (load average {r.LoadAverageBefore:F2}). Without listeners: edge {r.EdgeIdleCores:F3} cores, icecast2 {r.IcecastIdleCores:F3} cores. Logs: {r.LogDirectory}."));
        foreach (var s in r.Steps)
            foreach (var side in new[] { s.Edge, s.Icecast })
                md.AppendLine(string.Create(Inv, $"- {side.Listeners} on {side.Server}: machine {side.SystemBusyCores:F2} cores busy, other {side.OtherCores:F2}; RSS {side.RssBeforeKb / 1024} -> {side.RssAfterKb / 1024} MB; states {string.Join(", ", side.Pool.States.Select(kv => $"{kv.Key} {kv.Value}"))}; first error: {side.Pool.FirstError ?? "none"}; time to first audio p50 {side.Pool.TimeToFirstAudio.P50Ms:F1} ms, p99 {side.Pool.TimeToFirstAudio.P99Ms:F1} ms; checked: {side.Pool.Check.Frames} frames, skipped bytes {side.Pool.Check.SkippedBytes}"));
        Save(context, "fanout", r, md.ToString());
        return r;
    }

    /// <summary>The edge's CPU per ICY listener against per HLS client, on one mount.</summary>
    public static async Task<HlsFanoutResult> HlsFanoutAsync(BenchContext context, IReadOnlyList<int> sizes, double seconds, bool waitForQuiet, CancellationToken ct)
    {
        var r = await HlsFanoutRun.RunAsync(context, sizes, seconds, waitForQuiet, ct);
        var md = new StringBuilder();
        md.AppendLine("| listeners | kind | edge CPU (cores) | per listener (µs/s) | above idle, per listener (µs/s) | what the clients saw |");
        md.AppendLine("| ---: | --- | ---: | ---: | ---: | --- |");
        foreach (var s in r.Sides)
            md.AppendLine(string.Create(Inv, $"| {s.Listeners} | {s.Kind} | {s.EdgeCores:F3} | {s.MicrosecondsPerListenerSecond:F1} | {s.MarginalMicrosecondsPerListenerSecond:F1} | {s.Outcome} |"));
        md.AppendLine();
        md.AppendLine(string.Create(Inv, $"Machine quiet before the run: {(r.MachineWasQuiet ? "yes" : "NO")} (load average {r.LoadAverageBefore:F2}). Edge without listeners: {r.IdleCores:F3} cores. Logs: {r.LogDirectory}."));
        Save(context, "hls-fanout", r, md.ToString());
        return r;
    }

    private static string Side(FanoutSide s, string cpuRatio, string rssRatio) => string.Create(Inv,
        $"| {s.Listeners} | {s.Server} | {s.Cores:F3} | {s.CpuMicrosecondsPerListenerSecond:F1} | {s.MarginalMicrosecondsPerListenerSecond:F1} | {s.RssKbPerListener:F1} KB | {s.Lost} | {s.BytesPerListenerSecond:F0} | {s.Pool.Check.Frames} ({s.Pool.Check.Missing}/{s.Pool.Check.Repeated}) | {s.ListenerProcessCores:F2} | {cpuRatio} | {rssRatio} |");

    private const string LoadHeader =
        "| mounts | playing | relay-a (cores) | relay-b (cores) | edge (cores) | relays + edge | load generator | machine busy | peak RSS relay-a / relay-b / edge | frames lost (edge gaps + checked) | checked listeners: frames, missing, repeated | substituted | UDP loss | latency p50 / p99 |\n"
        + "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: | --- |";

    private static string LoadLine(LoadRunResult r)
    {
        var c = r.Load.Listeners?.Check;
        var l = r.Load.Latency;
        return string.Create(Inv,
            $"| {r.Mounts} | {r.MountsPlaying} | {r.Window["relay-a"]?.Cores:F3} | {r.Window["relay-b"]?.Cores:F3} | {r.Window["edge"]?.Cores:F3} | **{r.RelaysAndEdgeCores:F3}** | {r.Window["load"]?.Cores:F3} | {r.Window.SystemBusyCores:F2} | {r.PeakRssKbRelayA / 1024} / {r.PeakRssKbRelayB / 1024} / {r.PeakRssKbEdge / 1024} MB | **{r.FramesLost}** | {(c is null ? "-" : $"{r.Load.Listeners!.CheckedListeners}: {c.Frames}, {c.Missing}, {c.Repeated}")} | {r.EdgeSubstitutedFrames} | {r.UdpLossPercent:F2} % | {(l is null ? "-" : $"{l.P50Ms:F0} / {l.P99Ms:F0} ms")} |");
    }

    private static string Details(LoadRunResult r) => string.Create(Inv,
        $"{r.Mounts} mounts: machine quiet before: {(r.Start.MachineWasQuiet ? "yes" : "NO")} (load average {r.Start.LoadAverageBefore:F2}); all playing after {r.SecondsUntilAllPlaying:F0} s; "
        + $"window {r.Window.WallSeconds:F1} s; {LoadRun.Describe(r)}; edge frames emitted {r.EdgeFramesEmitted}, failovers {r.EdgeFailovers}, backfills {r.EdgeBackfills}, late {r.EdgeLateFrames}, mounts with gaps {r.MountsWithGaps}; "
        + $"generator: {r.Load.Load.FramesSent} frames, {r.Load.Load.UdpPackets} UDP + {r.Load.Load.TcpPackets} TCP packets, TCP dropped {r.Load.Load.TcpDropped}, dead {r.Load.Load.TcpDead}, UDP errors {r.Load.Load.UdpErrors}; "
        + $"relays received {r.RelayUdpPackets} UDP + {r.RelayTcpPackets} TCP packets, rejected {r.RelayRejected}; logs: {r.Start.LogDirectory}");

    private static void Save<T>(BenchContext context, string row, T result, string markdown)
    {
        File.WriteAllText(Path.Combine(context.ResultsDirectory, $"{row}.json"), JsonSerializer.Serialize(result, Json.Indented));
        File.WriteAllText(Path.Combine(context.ResultsDirectory, $"{row}.md"), markdown);
        context.Log.WriteLine();
        context.Log.WriteLine(markdown);
    }
}
