using System.Diagnostics;
using System.Globalization;
using System.Net;
using Davecast.Bench.Cli;
using Davecast.Bench.Listen;
using Davecast.Bench.Load;
using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

/// <summary>Everything measured in one run of the original Davecast under <see cref="OriginalProtocolLoad"/>.</summary>
public sealed record OriginalRunResult : MeasuredRun
{
    /// <summary>Mounts the node listed (it learns a mount from its announcements) when the window closed.</summary>
    public required int MountsListed { get; init; }
    public required double SecondsUntilAllListed { get; init; }
    public required double RelaysAndNodeCores { get; init; }
    public required long PeakRssKbNode { get; init; }
    /// <summary>The mount a listener took from the node after the warm-up, to see that the original carries the load.</summary>
    public required string? ProbeMount { get; init; }
    public required long ProbeBytes { get; init; }
    public required double ProbeSeconds { get; init; }
    public required string? ProbeError { get; init; }
    public required OriginalLoadReport Load { get; init; }
    /// <summary>Stalls, dropped mounts and full queues the node logged in the window, and over the whole run.</summary>
    public required NodeTrouble TroubleInWindow { get; init; }
    public required NodeTrouble TroubleInRun { get; init; }

    /// <summary>The original carried the load: every mount still listed at the end, and nothing stalled, dropped or cut off.</summary>
    public bool Clean => MountsListed == Mounts && !TroubleInRun.Any;
}

/// <summary>
/// One run of the original Davecast on the side-by-side shape: its relays and node, and
/// <c>davecast-bench original-load</c> as processes; wait until the node lists every mount; warm up; listen to one
/// mount for a moment (the original carries the load); measure CPU from /proc over the window; stop everything.
/// </summary>
public static class OriginalRun
{
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(2);

    /// <param name="shape">The mounts, relays, window, warm-up, codecs, sending threads and spread, as for this project's run.</param>
    public static async Task<OriginalRunResult> RunAsync(BenchContext context, string program, LoadRunOptions shape, CancellationToken ct = default)
    {
        var log = context.Log;
        const string row = "seed-original";
        var start = await RunStart.BeginAsync(context, row, shape.Mounts, shape.WaitForQuiet, ct);
        var logDir = start.LogDirectory;
        log.WriteLine($"[{row}] {shape.Mounts} mounts, {shape.Relays} relays, 1 node, UDP; logs in {logDir}");
        await using var original = await OriginalDavecast.StartAsync(program, logDir, shape.Relays);
        var readyTimeout = TimeSpan.FromSeconds(60 + shape.Mounts * 0.06);
        double duration = readyTimeout.TotalSeconds + shape.WarmupSeconds + Probe.TotalSeconds + shape.WindowSeconds + 120;
        var loadArgs = new List<string>
        {
            "original-load", "--mounts", $"{shape.Mounts}", "--codecs", shape.Codecs, "--duration", $"{duration:F0}",
            "--threads", $"{shape.LoadThreads}", "--spread", shape.SpreadSeconds.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var r in original.Relays) loadArgs.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        var load = original.Own(context.StartDotnet("load", context.BenchDll(), loadArgs, logDir));
        await load.WaitForLineAsync("STARTED", TimeSpan.FromSeconds(60));

        var clock = Stopwatch.StartNew();
        List<string> listed = [];
        while (clock.Elapsed < readyTimeout)
        {
            await Task.Delay(1000, ct);
            listed = await OriginalMountsAsync(original.NodePort);
            if (listed.Count >= shape.Mounts) break;
        }
        double untilListed = clock.Elapsed.TotalSeconds;
        log.WriteLine($"[{row}] the node lists {listed.Count}/{shape.Mounts} mounts after {untilListed:F0} s");

        if (shape.WarmupSeconds > 0)
        {
            log.WriteLine($"[{row}] warming up for {shape.WarmupSeconds:F0} s");
            await Task.Delay(TimeSpan.FromSeconds(shape.WarmupSeconds), ct);
        }
        // Before the window, so that the listener's cost is not in it.
        string? probeMount = listed.FirstOrDefault();
        Listener? probe = null;
        if (probeMount is not null)
        {
            probe = new Listener(new IPEndPoint(IPAddress.Loopback, original.NodePort), probeMount);
            using var listening = CancellationTokenSource.CreateLinkedTokenSource(ct);
            listening.CancelAfter(Probe);
            await probe.RunAsync(listening.Token);
            log.WriteLine($"[{row}] the node served {probe.AudioBytes} bytes of /{probeMount} in {Probe.TotalSeconds:F0} s{(probe.Error is { } e ? $" ({e})" : "")}");
        }

        var sampler = new Sampler();
        foreach (var r in original.Relays) sampler.Add(r.Name, r.Process);
        sampler.Add("node", original.Node);
        sampler.Add("load", load);
        var trouble0 = original.Trouble();
        sampler.Start();
        await Task.Delay(TimeSpan.FromSeconds(shape.WindowSeconds), ct);
        var window = sampler.Stop();
        var trouble1 = original.Trouble();
        if (original.Exited().ToList() is [var gone, ..])
            throw new InvalidOperationException($"the original's {gone.Name} exited ({gone.ExitCode}) during the run:\n{gone.Tail(20)}");
        log.WriteLine($"[{row}] window {window.WallSeconds:F1} s: " + string.Join(", ", window.Processes.Select(p => $"{p.Name} {p.Cores:F3} cores")));
        listed = await OriginalMountsAsync(original.NodePort);
        var peaks = original.Relays.Select(r => ProcStat.Read(r.Process.Pid)?.HwmKb ?? 0).ToList();
        long nodePeak = ProcStat.Read(original.Node.Pid)?.HwmKb ?? 0;

        var resultLine = load.ExpectLine(Json.ResultPrefix, TimeSpan.FromSeconds(60));
        load.Send("stop");
        var report = Json.ParseResult<OriginalLoadReport>(await resultLine);
        await load.WaitForExitAsync(TimeSpan.FromSeconds(10));

        var result = new OriginalRunResult
        {
            Mounts = shape.Mounts,
            Start = start,
            MountsListed = listed.Count,
            SecondsUntilAllListed = untilListed,
            Window = window,
            RelaysAndNodeCores = window.Cores(n => n.StartsWith("relay", StringComparison.Ordinal) || n == "node"),
            PeakRssKbRelayA = peaks.ElementAtOrDefault(0),
            PeakRssKbRelayB = peaks.ElementAtOrDefault(1),
            PeakRssKbNode = nodePeak,
            ProbeMount = probeMount,
            ProbeBytes = probe?.AudioBytes ?? 0,
            ProbeSeconds = probe is null ? 0 : Probe.TotalSeconds,
            ProbeError = probe?.Error,
            Load = report,
            TroubleInWindow = trouble1.Since(trouble0),
            TroubleInRun = trouble1,
        };
        log.WriteLine($"[{row}] {Describe(result)}");
        return result;
    }

    private static async Task<List<string>> OriginalMountsAsync(int nodePort)
    {
        try
        {
            return await Probes.OriginalMountsAsync(nodePort);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return [];
        }
    }

    public static string Describe(OriginalRunResult r) =>
        $"{r.MountsListed}/{r.Mounts} mounts listed by the node at the end; it logged {r.TroubleInWindow} in the window ({r.TroubleInRun} in the whole run); relays+node {r.RelaysAndNodeCores:F3} cores "
        + $"({string.Join(", ", r.Window.Processes.Select(p => $"{p.Name} {p.Cores:F3}"))}; machine {r.Window.SystemBusyCores:F2}, other {r.Window.OtherCores:F2}); "
        + (r.ProbeMount is null ? "no mount to listen to; " : $"the node served {r.ProbeBytes} bytes of /{r.ProbeMount} in {r.ProbeSeconds:F0} s{(r.ProbeError is { } e ? $" ({e})" : "")}; ")
        + $"generator: {r.Load.FramesSent} frames, {r.Load.Announcements} announcements, {r.Load.Datagrams} datagrams, {r.Load.SendErrors} send errors, send lateness p99 {r.Load.SendLateness.P99Ms:F1} ms; "
        + $"peak RSS relay-a {r.PeakRssKbRelayA / 1024} MB, relay-b {r.PeakRssKbRelayB / 1024} MB, node {r.PeakRssKbNode / 1024} MB";
}
