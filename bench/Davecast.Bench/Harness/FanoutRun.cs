using Davecast.Bench.Cli;
using Davecast.Bench.Listen;
using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

public sealed record FanoutOptions
{
    public required IReadOnlyList<int> Sizes { get; init; }
    public double WindowSeconds { get; init; } = 20;
    public int RampPerSecond { get; init; } = 1000;
    public int Checked { get; init; } = 5;
    /// <summary>How the listeners read (see <see cref="Listen.PoolOptions"/>): <c>sweep</c> or <c>async</c>, and how often.</summary>
    public string Read { get; init; } = "sweep";
    public double PeriodMs { get; init; } = 100;
    public bool WaitForQuiet { get; init; } = true;
}

/// <summary>One server with N listeners: its CPU and memory while they listen, and what the listeners saw.</summary>
public sealed record FanoutSide(
    string Server, int Listeners, double Cores, double CpuMicrosecondsPerListenerSecond, long RssBeforeKb, long RssAfterKb,
    double RssKbPerListener, double ListenerProcessCores, double SystemBusyCores, double OtherCores, PoolReport Pool)
{
    /// <summary>The server's CPU with no listener (same mount, same feed), measured before the first size.</summary>
    public double IdleCores { get; init; }

    /// <summary>CPU per listener above the idle server's.</summary>
    public double MarginalMicrosecondsPerListenerSecond => (Cores - IdleCores) * 1e6 / Listeners;

    public int Lost => Pool.Dropped + Pool.Refused + Pool.Failed;

    /// <summary>Line rate: each listener's bytes per second over the window, against the mount's bitrate.</summary>
    public double BytesPerListenerSecond => Pool.Listeners == 0 ? 0 : Pool.BytesPerSecond / Pool.Listeners;
}

public sealed record FanoutStep(int Listeners, FanoutSide Edge, FanoutSide Icecast)
{
    public double CpuRatio => Icecast.Cores <= 0 ? double.NaN : Edge.Cores / Icecast.Cores;

    public double RssRatio => Icecast.RssKbPerListener <= 0 ? double.NaN : Edge.RssKbPerListener / Icecast.RssKbPerListener;
}

public sealed record FanoutResult(DateTime StartedUtc, bool MachineWasQuiet, double LoadAverageBefore, string LogDirectory, IReadOnlyList<FanoutStep> Steps)
{
    public double EdgeIdleCores { get; init; }
    public double IcecastIdleCores { get; init; }
}

/// <summary>
/// One 128 kbps MP3 mount, served by a Davecast edge (fed by the load generator through two relays) and by icecast2
/// (fed by ffmpeg), in the same run: for each size, N listeners on the edge, then N on icecast2, one server at a time.
/// </summary>
public static class FanoutRun
{
    public const string Mount = "fan0000.mp3";

    public static async Task<FanoutResult> RunAsync(BenchContext context, FanoutOptions options, CancellationToken ct = default)
    {
        var log = context.Log;
        var quiet = options.WaitForQuiet ? await Quiet.WaitAsync(log, ct: ct) : Quiet.Now();
        var logDir = context.NewLogDirectory("fanout");
        var started = DateTime.UtcNow;
        int max = options.Sizes.Max();
        await using var cluster = await Cluster.StartAsync(context, logDir, 2, ["--max-listeners", $"{max + 1000}"]);
        var icecast = await Icecast.StartAsync(context, logDir, max + 1000, cluster.Own);
        var fixture = context.Fixture("programme.mp3");
        var ffmpeg = cluster.Own(icecast.StartFfmpegSource(context, logDir, fixture, Mount));
        var loadArgs = new List<string>
        {
            "load", "--mounts", "1", "--codecs", "mp3", "--prefix", "fan", "--duration", "3000",
            "--key-id", context.KeyId, "--key", context.Key, "--threads", "1",
        };
        foreach (var r in cluster.Relays) loadArgs.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        var load = cluster.Own(context.StartDotnet("load", context.BenchDll(), loadArgs, logDir));
        await load.WaitForLineAsync("STARTED", TimeSpan.FromSeconds(60));
        await WaitPlayableAsync(cluster.Edge.Port, ffmpeg, icecast.Port, ct);
        log.WriteLine($"[fanout] edge :{cluster.Edge.Port} and icecast2 :{icecast.Port} both play /{Mount}; logs in {logDir}");

        var steps = new List<FanoutStep>();
        double edgeIdle, icecastIdle;
        try
        {
            // Each server's own cost, fed but without listeners.
            await Task.Delay(5000, ct);
            var idle = new Sampler();
            idle.Add("edge", cluster.Edge.Process);
            idle.Add("icecast2", icecast.Process);
            idle.Start();
            await Task.Delay(TimeSpan.FromSeconds(options.WindowSeconds), ct);
            var idleWindow = idle.Stop();
            edgeIdle = idleWindow["edge"]?.Cores ?? 0;
            icecastIdle = idleWindow["icecast2"]?.Cores ?? 0;
            log.WriteLine($"[fanout] without listeners: edge {edgeIdle:F3} cores, icecast2 {icecastIdle:F3} cores");
            foreach (int size in options.Sizes)
            {
                var edge = await SideAsync(context, options, logDir, "edge", cluster.Edge.Process, cluster.Edge.Port, size, fixture, ct) with { IdleCores = edgeIdle };
                var ice = await SideAsync(context, options, logDir, "icecast2", icecast.Process, icecast.Port, size, fixture, ct) with { IdleCores = icecastIdle };
                var step = new FanoutStep(size, edge, ice);
                steps.Add(step);
                log.WriteLine($"[fanout] {size} listeners: edge {edge.Cores:F3} cores, {edge.RssKbPerListener:F1} KB/listener, lost {edge.Lost}; "
                    + $"icecast2 {ice.Cores:F3} cores, {ice.RssKbPerListener:F1} KB/listener, lost {ice.Lost}; CPU ratio {step.CpuRatio:F2}");
            }
        }
        finally
        {
            load.Send("stop");
            await load.WaitForExitAsync(TimeSpan.FromSeconds(15));
            icecast.DeleteDirectory();
        }
        return new FanoutResult(started, quiet.WasQuiet, quiet.Load, logDir, steps) { EdgeIdleCores = edgeIdle, IcecastIdleCores = icecastIdle };
    }

    private static async Task WaitPlayableAsync(int edgePort, Child ffmpeg, int icecastPort, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        bool edge = false, ice = false;
        while (DateTime.UtcNow < deadline && !(edge && ice))
        {
            await Task.Delay(1000, ct);
            if (ffmpeg.HasExited) throw new InvalidOperationException($"ffmpeg exited:\n{ffmpeg.Tail(20)}");
            edge = edge || await AnswersAsync(edgePort);
            ice = ice || await AnswersAsync(icecastPort);
        }
        if (!(edge && ice)) throw new TimeoutException($"/{Mount} not playable (edge {edge}, icecast2 {ice})");
    }

    // One short listener: does the mount answer 200 with audio?
    private static async Task<bool> AnswersAsync(int port)
    {
        var probe = new Listener(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), Mount);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await probe.RunAsync(timeout.Token, stopAfterFirstAudio: true);
        return probe.FirstAudioAt != 0;
    }

    private static async Task<FanoutSide> SideAsync(BenchContext context, FanoutOptions options, string logDir, string name, Child server,
        int port, int size, string fixture, CancellationToken ct)
    {
        await Task.Delay(3000, ct); // let the previous listeners' connections close
        long rssBefore = ProcStat.Read(server.Pid)?.RssKb ?? 0;
        var listen = context.StartDotnet($"listen-{name}-{size}", context.BenchDll(),
        [
            "listen", "--server", $"127.0.0.1:{port}", "--mount", Mount, "--count", $"{size}", "--ramp", $"{options.RampPerSecond}",
            "--check", $"{options.Checked}", "--fixture", fixture, "--read", options.Read, "--period-ms", $"{options.PeriodMs}",
            "--max-hold", $"{options.WindowSeconds + 120}",
        ], logDir);
        try
        {
            await listen.WaitForLineAsync("READY", TimeSpan.FromSeconds(60 + size / (double)options.RampPerSecond));
            await Task.Delay(3000, ct);
            var sampler = new Sampler();
            sampler.Add("server", server);
            sampler.Add("listeners", listen);
            listen.Send("mark");
            sampler.Start();
            await Task.Delay(TimeSpan.FromSeconds(options.WindowSeconds), ct);
            var window = sampler.Stop();
            long rssAfter = ProcStat.Read(server.Pid)?.RssKb ?? 0;
            var result = listen.ExpectLine(Json.ResultPrefix, TimeSpan.FromSeconds(60));
            listen.Send("stop");
            var pool = Json.ParseResult<PoolReport>(await result);
            double cores = window["server"]?.Cores ?? double.NaN;
            return new FanoutSide(name, size, cores, cores * 1e6 / size, rssBefore, rssAfter, (rssAfter - rssBefore) / (double)size,
                window["listeners"]?.Cores ?? double.NaN, window.SystemBusyCores, window.OtherCores, pool);
        }
        finally
        {
            await listen.WaitForExitAsync(TimeSpan.FromSeconds(30));
            listen.Dispose();
        }
    }
}
