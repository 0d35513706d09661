using Davecast.Bench.Cli;
using Davecast.Bench.Listen;
using Davecast.Bench.Measure;

namespace Davecast.Bench.Harness;

/// <summary>The edge's CPU with N listeners of one kind (ICY connections or HLS clients).</summary>
public sealed record HlsFanoutSide(string Kind, int Listeners, double EdgeCores, double IdleCores, string Outcome)
{
    public double MicrosecondsPerListenerSecond => EdgeCores * 1e6 / Listeners;

    /// <summary>Above the edge's CPU with no listener.</summary>
    public double MarginalMicrosecondsPerListenerSecond => (EdgeCores - IdleCores) * 1e6 / Listeners;
}

public sealed record HlsFanoutResult(DateTime StartedUtc, bool MachineWasQuiet, double LoadAverageBefore, string LogDirectory, double IdleCores, IReadOnlyList<HlsFanoutSide> Sides);

/// <summary>
/// One 128 kbps MP3 mount on one edge (fed by the load generator through two relays): for each size, N ICY listeners
/// (<c>listen</c>), then N HLS clients (<c>hls-listen</c>, 6 s segments), one kind at a time; the edge's CPU of each.
/// </summary>
public static class HlsFanoutRun
{
    public static async Task<HlsFanoutResult> RunAsync(BenchContext context, IReadOnlyList<int> sizes, double windowSeconds, bool waitForQuiet, CancellationToken ct = default)
    {
        var log = context.Log;
        var quiet = waitForQuiet ? await Quiet.WaitAsync(log, ct: ct) : Quiet.Now();
        var logDir = context.NewLogDirectory("hls-fanout");
        var started = DateTime.UtcNow;
        await using var cluster = await Cluster.StartAsync(context, logDir, 2, ["--hls", "--max-listeners", $"{sizes.Max() + 1000}"]);
        var loadArgs = new List<string>
        {
            "load", "--mounts", "1", "--codecs", "mp3", "--prefix", "fan", "--duration", "3000",
            "--key-id", context.KeyId, "--key", context.Key, "--threads", "1",
        };
        foreach (var r in cluster.Relays) loadArgs.AddRange(["--relay", $"127.0.0.1:{r.IngestPort}"]);
        var load = cluster.Own(context.StartDotnet("load", context.BenchDll(), loadArgs, logDir));
        string playlist = $"http://127.0.0.1:{cluster.Edge.Port}/{FanoutRun.Mount}.m3u8";
        var sides = new List<HlsFanoutSide>();
        double idle;
        try
        {
            await load.WaitForLineAsync("STARTED", TimeSpan.FromSeconds(60));
            await WaitForSegmentsAsync(playlist, ct);
            log.WriteLine($"[hls-fanout] edge :{cluster.Edge.Port} serves {playlist}; logs in {logDir}");
            idle = await EdgeCoresAsync(cluster, windowSeconds, ct);
            foreach (int size in sizes)
            {
                var icy = await SideAsync(context, cluster, logDir, "icy", size, windowSeconds, idle,
                    ["listen", "--server", $"127.0.0.1:{cluster.Edge.Port}", "--mount", FanoutRun.Mount, "--count", $"{size}", "--max-hold", $"{windowSeconds + 120}"],
                    result => Json.ParseResult<PoolReport>(result) is var p ? $"{p.Streaming} streaming, {p.Dropped + p.Refused + p.Failed} lost" : "", ct);
                var hls = await SideAsync(context, cluster, logDir, "hls", size, windowSeconds, idle,
                    ["hls-listen", "--url", playlist, "--count", $"{size}", "--max-hold", $"{windowSeconds + 120}"],
                    result => Json.ParseResult<HlsListenReport>(result) is var h ? $"{h.Playlists} playlists, {h.Segments} segments, {h.Errors} errors{(h.FirstError is null ? "" : $" (first: {h.FirstError})")}" : "", ct);
                sides.Add(icy);
                sides.Add(hls);
                log.WriteLine($"[hls-fanout] {size}: ICY {icy.MarginalMicrosecondsPerListenerSecond:F1} µs/s per listener above idle; HLS {hls.MarginalMicrosecondsPerListenerSecond:F1}");
            }
        }
        finally
        {
            load.Send("stop");
            await load.WaitForExitAsync(TimeSpan.FromSeconds(15));
        }
        return new HlsFanoutResult(started, quiet.WasQuiet, quiet.Load, logDir, idle, sides);
    }

    private static async Task WaitForSegmentsAsync(string playlist, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetStringAsync(playlist, ct)).Contains("#EXTINF", StringComparison.Ordinal)) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(1000, ct);
        }
        throw new TimeoutException($"{playlist} listed no segment within 90 s");
    }

    private static async Task<double> EdgeCoresAsync(Cluster cluster, double seconds, CancellationToken ct)
    {
        var sampler = new Sampler();
        sampler.Add("edge", cluster.Edge.Process);
        sampler.Start();
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        return sampler.Stop()["edge"]?.Cores ?? double.NaN;
    }

    private static async Task<HlsFanoutSide> SideAsync(BenchContext context, Cluster cluster, string logDir, string kind, int size, double seconds, double idle,
        IEnumerable<string> command, Func<string, string> outcome, CancellationToken ct)
    {
        await Task.Delay(3000, ct); // the previous kind's connections close
        using var clients = context.StartDotnet($"{kind}-{size}", context.BenchDll(), command, logDir);
        try
        {
            await clients.WaitForLineAsync("READY", TimeSpan.FromSeconds(60 + size / 1000.0));
            // Every HLS client has had its first playlist and segments (one target duration), every ICY listener its burst.
            await Task.Delay(7000, ct);
            double cores = await EdgeCoresAsync(cluster, seconds, ct);
            var result = clients.ExpectLine(Json.ResultPrefix, TimeSpan.FromSeconds(60));
            clients.Send("stop");
            return new HlsFanoutSide(kind, size, cores, idle, outcome(await result));
        }
        finally
        {
            await clients.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }
}
