using System.Diagnostics;
using System.Globalization;
using Davecast.Bench.Cli;
using Davecast.Bench.Listen;
using Davecast.Bench.Load;
using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

public sealed record LoadRunOptions
{
    public required int Mounts { get; init; }
    /// <summary>Seconds measured, once every mount plays at the edge.</summary>
    public required double WindowSeconds { get; init; }
    /// <summary>
    /// Seconds the load runs, once every mount plays, before the window: the programs are past their start (JIT
    /// compilation of hot paths, tiered up for tens of seconds; rings and buffers filling) and measured in steady state.
    /// </summary>
    public double WarmupSeconds { get; init; } = 20;
    public int Relays { get; init; } = 2;
    /// <summary>Mounts with a listener checked frame by frame and timed (from the load generator's process).</summary>
    public int Checked { get; init; } = 10;
    /// <summary>Listeners on each checked mount.</summary>
    public int ListenersPerCheckedMount { get; init; } = 1;
    /// <summary>New listeners, one after the other, timed to their first audio byte (after the window).</summary>
    public int TimeToFirstAudioProbes { get; init; }
    public int LoadThreads { get; init; } = 2;
    /// <summary>
    /// Seconds over which the generator spreads the mounts' start times: 0 puts every encoder in phase (all send their
    /// frames at the same instants), which costs a receiver less than encoders at independent phases.
    /// </summary>
    public double SpreadSeconds { get; init; } = 1;
    /// <summary>Frames per audio packet from the load generator (the publisher's default is 1).</summary>
    public int FramesPerPacket { get; init; } = 1;
    public string Codecs { get; init; } = "aac,mp3";
    /// <summary>How the load generator sends to the relays: "both" (UDP and TCP, the publisher's default), "udp" or "tcp".</summary>
    public string Transport { get; init; } = "both";
    public bool WaitForQuiet { get; init; } = true;
    /// <summary>Extra arguments for the relays (e.g. a non-default --batch-ms) and for the edge.</summary>
    public IReadOnlyList<string> RelayArgs { get; init; } = [];
    public IReadOnlyList<string> EdgeArgs { get; init; } = [];
}

/// <summary>Everything measured in one run of the multi-mount load.</summary>
public sealed record LoadRunResult : MeasuredRun
{
    public required int MountsPlaying { get; init; }
    public required double SecondsUntilAllPlaying { get; init; }
    public required double RelaysAndEdgeCores { get; init; }
    public required long EdgeGapFrames { get; init; }
    public required long EdgeLateFrames { get; init; }
    public required long EdgeSubstitutedFrames { get; init; }
    public required long EdgeFailovers { get; init; }
    public required long EdgeBackfills { get; init; }
    public required int MountsWithGaps { get; init; }
    /// <summary>Mounts whose frames emitted in the window fell more than 2 % short of real time.</summary>
    public required int MountsShort { get; init; }
    public required double MinEmittedRatio { get; init; }
    public required long EdgeFramesEmitted { get; init; }
    public required long RelayGaps { get; init; }
    public required long RelayRejected { get; init; }
    public required long RelayUdpPackets { get; init; }
    public required long RelayTcpPackets { get; init; }
    public required LoadCommand.Result Load { get; init; }
    public required long PeakRssKbEdge { get; init; }

    /// <summary>Frames lost at the edge, over all mounts and in the checked listeners.</summary>
    public long FramesLost => EdgeGapFrames + (Load.Listeners?.Check.Missing ?? 0);

    public bool Clean => FramesLost == 0 && MountsPlaying == Mounts && MountsShort == 0
        && (Load.Listeners?.Check is not { } c || c.Perfect) && (Load.Listeners?.Dropped ?? 0) == 0;

    public double UdpLossPercent => Load.Load.UdpPackets == 0 ? 0 : Math.Max(0, 100.0 * (Load.Load.UdpPackets - RelayUdpPackets) / Load.Load.UdpPackets);
}

/// <summary>
/// One run of the multi-mount workload: relays, an edge and the load generator as processes; wait until the edge
/// plays every mount; start the checked listeners; measure CPU (from /proc) and the edge's and relays' counters over
/// a window; optionally time new listeners; stop everything.
/// </summary>
public static class LoadRun
{
    public static async Task<LoadRunResult> RunAsync(BenchContext context, string row, LoadRunOptions options, CancellationToken ct = default)
    {
        var log = context.Log;
        var start = await RunStart.BeginAsync(context, row, options.Mounts, options.WaitForQuiet, ct);
        var logDir = start.LogDirectory;
        log.WriteLine($"[{row}] {options.Mounts} mounts, {options.Relays} relays, 1 edge, {options.Transport}; logs in {logDir}");
        await using var cluster = await Cluster.StartAsync(context, logDir, options.Relays, options.EdgeArgs, options.RelayArgs);
        var readyTimeout = TimeSpan.FromSeconds(60 + options.Mounts * 0.06);
        double duration = readyTimeout.TotalSeconds + options.WarmupSeconds + options.WindowSeconds + 120 + options.TimeToFirstAudioProbes * 0.2;
        var loadArgs = new List<string>
        {
            "load", "--mounts", $"{options.Mounts}", "--codecs", options.Codecs, "--duration", $"{duration:F0}",
            "--key-id", context.KeyId, "--key", context.Key, "--threads", $"{options.LoadThreads}",
            "--frames-per-packet", $"{options.FramesPerPacket}", "--transport", options.Transport,
            "--spread", options.SpreadSeconds.ToString(CultureInfo.InvariantCulture),
            "--edge", $"127.0.0.1:{cluster.Edge.Port}", "--check", $"{Math.Min(options.Checked, options.Mounts)}",
            "--listeners-per-mount", $"{options.ListenersPerCheckedMount}",
        };
        foreach (var r in cluster.Relays) loadArgs.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        var load = cluster.Own(context.StartDotnet("load", context.BenchDll(), loadArgs, logDir));
        await load.WaitForLineAsync("STARTED", TimeSpan.FromSeconds(60 + options.Mounts * 0.05));

        var clock = Stopwatch.StartNew();
        int playing = 0;
        while (clock.Elapsed < readyTimeout)
        {
            await Task.Delay(1000, ct);
            try
            {
                var health = await Probes.EdgeHealthAsync(cluster.Edge.Port);
                playing = health.Values.Count(m => m.FramesEmitted > 0);
                if (playing >= options.Mounts) break;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }
        double untilPlaying = clock.Elapsed.TotalSeconds;
        log.WriteLine($"[{row}] {playing}/{options.Mounts} mounts playing at the edge after {untilPlaying:F0} s");

        if (options.Checked > 0)
        {
            var listening = load.ExpectLine("LISTENING", TimeSpan.FromSeconds(30));
            load.Send("listen");
            await listening;
            await Task.Delay(3000, ct); // their start bursts
        }

        if (options.WarmupSeconds > 0)
        {
            log.WriteLine($"[{row}] warming up for {options.WarmupSeconds:F0} s");
            await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds), ct);
        }
        var sampler = new Sampler();
        foreach (var r in cluster.Relays) sampler.Add(r.Name, r.Process);
        sampler.Add("edge", cluster.Edge.Process);
        sampler.Add("load", load);
        if (cluster.Redis is { } redis) sampler.Add("redis", redis);
        var health0 = await Probes.EdgeHealthAsync(cluster.Edge.Port);
        var metrics0 = await RelayMetricsAsync(cluster);
        sampler.Start();
        await Task.Delay(TimeSpan.FromSeconds(options.WindowSeconds), ct);
        var window = sampler.Stop();
        var health1 = await Probes.EdgeHealthAsync(cluster.Edge.Port);
        var metrics1 = await RelayMetricsAsync(cluster);
        log.WriteLine($"[{row}] window {window.WallSeconds:F1} s: " + string.Join(", ", window.Processes.Select(p => $"{p.Name} {p.Cores:F3} cores")));

        if (options.TimeToFirstAudioProbes > 0)
        {
            var ttfb = load.ExpectLine("TTFB", TimeSpan.FromSeconds(30 + options.TimeToFirstAudioProbes * 0.5));
            load.Send($"ttfb {options.TimeToFirstAudioProbes}");
            await ttfb;
        }
        var resultLine = load.ExpectLine(Json.ResultPrefix, TimeSpan.FromSeconds(60));
        load.Send("stop");
        var loadResult = Json.ParseResult<LoadCommand.Result>(await resultLine);
        await load.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(1500, ct);
        var metricsEnd = await RelayMetricsAsync(cluster);
        var peaks = cluster.Relays.Select(r => ProcStat.Read(r.Process.Pid)?.HwmKb ?? 0).ToList();
        long edgePeak = ProcStat.Read(cluster.Edge.Process.Pid)?.HwmKb ?? 0;

        // Per mount, over the window: frames emitted against real time, and gaps.
        long gaps = 0, late = 0, substituted = 0, failovers = 0, backfills = 0, emitted = 0;
        int withGaps = 0, shortMounts = 0;
        double minRatio = double.PositiveInfinity;
        var programmes = new Dictionary<string, double> { ["aac"] = 44100.0 / 1024, ["mp3"] = 44100.0 / 1152 };
        foreach (var (name, end) in health1)
        {
            var begin = health0.GetValueOrDefault(name) ?? new MountCounters(name, null, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            long g = end.GapFrames - begin.GapFrames;
            gaps += g;
            if (g > 0) withGaps++;
            late += end.Late - begin.Late;
            substituted += end.Substituted - begin.Substituted;
            failovers += end.Failovers - begin.Failovers;
            backfills += end.Backfills - begin.Backfills;
            long e = end.FramesEmitted - begin.FramesEmitted;
            emitted += e;
            double expected = window.WallSeconds * programmes[Path.GetExtension(name).TrimStart('.')];
            double ratio = e / expected;
            minRatio = Math.Min(minRatio, ratio);
            if (ratio < 0.98) shortMounts++;
        }

        var result = new LoadRunResult
        {
            Mounts = options.Mounts,
            Start = start,
            MountsPlaying = health1.Values.Count(m => m.FramesEmitted > 0),
            SecondsUntilAllPlaying = untilPlaying,
            Window = window,
            RelaysAndEdgeCores = window.Cores(n => n.StartsWith("relay", StringComparison.Ordinal) || n == "edge"),
            EdgeGapFrames = gaps,
            EdgeLateFrames = late,
            EdgeSubstitutedFrames = substituted,
            EdgeFailovers = failovers,
            EdgeBackfills = backfills,
            MountsWithGaps = withGaps,
            MountsShort = shortMounts,
            MinEmittedRatio = double.IsInfinity(minRatio) ? 0 : minRatio,
            EdgeFramesEmitted = emitted,
            RelayGaps = (long)(Probes.Sum(metrics1, "davecast_relay_gaps_total") - Probes.Sum(metrics0, "davecast_relay_gaps_total")),
            RelayRejected = (long)(Probes.Sum(metrics1, "davecast_relay_packets_rejected_total") - Probes.Sum(metrics0, "davecast_relay_packets_rejected_total")),
            RelayUdpPackets = (long)Probes.Sum(metricsEnd, "davecast_relay_packets_received_total", "transport=\"udp\""),
            RelayTcpPackets = (long)Probes.Sum(metricsEnd, "davecast_relay_packets_received_total", "transport=\"tcp\""),
            Load = loadResult,
            PeakRssKbRelayA = peaks.ElementAtOrDefault(0),
            PeakRssKbRelayB = peaks.ElementAtOrDefault(1),
            PeakRssKbEdge = edgePeak,
        };
        log.WriteLine($"[{row}] {Describe(result)}");
        return result;
    }

    /// <summary>Every relay's metrics in one dictionary (sample names prefixed by nothing: the values add up).</summary>
    private static async Task<Dictionary<string, double>> RelayMetricsAsync(Cluster cluster)
    {
        var all = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var r in cluster.Relays)
        {
            try
            {
                foreach (var (k, v) in await Probes.MetricsAsync(r.DashboardPort))
                    all[k] = all.GetValueOrDefault(k) + v;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
        }
        return all;
    }

    public static string Describe(LoadRunResult r)
    {
        var c = r.Load.Listeners?.Check;
        return $"{r.MountsPlaying}/{r.Mounts} playing; relays+edge {r.RelaysAndEdgeCores:F3} cores "
            + $"({string.Join(", ", r.Window.Processes.Select(p => $"{p.Name} {p.Cores:F3}"))}; machine {r.Window.SystemBusyCores:F2}, other {r.Window.OtherCores:F2}); "
            + $"edge gaps {r.EdgeGapFrames}, late {r.EdgeLateFrames}, substituted {r.EdgeSubstitutedFrames}, mounts short {r.MountsShort} (min {r.MinEmittedRatio:P1}); "
            + $"relay gaps {r.RelayGaps}, rejected {r.RelayRejected}, UDP loss {r.UdpLossPercent:F2} %; "
            + (c is null ? "" : $"checked {r.Load.Listeners!.CheckedListeners} listeners: {c.Frames} frames, {c.Missing} missing, {c.Repeated} repeated, {c.Foreign} foreign; ")
            + (r.Load.Latency is { } l ? $"latency p50 {l.P50Ms:F0} ms p99 {l.P99Ms:F0} ms max {l.MaxMs:F0} ms; " : "")
            + (r.Load.TimeToFirstAudio is { } t ? $"first audio p50 {t.P50Ms:F1} ms p99 {t.P99Ms:F1} ms; " : "")
            + $"send lateness p99 {r.Load.Load.SendLateness.P99Ms:F1} ms; peak RSS relay-a {r.PeakRssKbRelayA / 1024} MB, relay-b {r.PeakRssKbRelayB / 1024} MB, edge {r.PeakRssKbEdge / 1024} MB";
    }
}
