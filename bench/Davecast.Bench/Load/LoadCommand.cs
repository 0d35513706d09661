using System.Diagnostics;
using System.Net;
using Davecast.Bench.Cli;
using Davecast.Bench.Listen;

namespace Davecast.Bench.Load;

/// <summary>
/// <c>davecast-bench load</c>: the multi-mount load generator as a process of its own, driven by lines on its
/// standard input: <c>listen</c> (start one listener, checked frame by frame and timed, on each stamped mount),
/// <c>ttfb N</c> (N new listeners one after the other: time to the first audio byte), <c>stop</c>. It prints
/// <c>STARTED</c>, <c>LISTENING</c>, <c>TTFB</c> as it goes, and a <c>RESULT {json}</c> line at the end. It stops by
/// itself after <c>--duration</c>, or when its standard input closes.
/// </summary>
public static class LoadCommand
{
    public sealed record Result(LoadReport Load, PoolReport? Listeners, Histogram.Summary? Latency, Histogram.Summary? TimeToFirstAudio, int TtfbFailures);

    public static async Task<int> RunAsync(Args args)
    {
        var relays = args.All("--relay").Select(IPEndPoint.Parse).ToList();
        var transport = args.String("--transport", "both");
        if (transport is not ("both" or "udp" or "tcp")) throw new ArgumentException($"--transport must be both, udp or tcp, not '{transport}'");
        var edge = args.Optional("--edge") is { } e ? IPEndPoint.Parse(e) : null;
        int perMount = args.Int("--listeners-per-mount", 1, 1, 1000);
        var options = new LoadOptions
        {
            Relays = relays,
            Mounts = MountList.Read(args),
            EncodersPerMount = args.Int("--encoders", 2, 1, 8),
            KeyId = args.String("--key-id", "dev"),
            Key = args.String("--key", "davecast-development-secret"),
            Duration = TimeSpan.FromSeconds(args.Double("--duration", 60, 1, 3600)),
            Threads = args.Int("--threads", 2, 1, 64),
            Udp = transport is "both" or "udp",
            Tcp = transport is "both" or "tcp",
            Spread = TimeSpan.FromSeconds(args.Double("--spread", 1, 0, 60)),
            StampedMounts = args.Int("--check", 0, 0, 1000),
            FramesPerPacket = args.Int("--frames-per-packet", 1, 1, 32),
        };
        args.Finish();
        if (relays.Count == 0) throw new ArgumentException("give at least one --relay host:port");
        if (options.StampedMounts > 0 && edge is null) throw new ArgumentException("--check needs --edge host:port");

        using var generator = new LoadGenerator(options);
        await generator.ConnectAsync(Console.Out);
        var run = Task.Factory.StartNew(generator.Run, TaskCreationOptions.LongRunning);
        Console.WriteLine("STARTED");

        var listeners = new List<(Listener Listener, Histogram Latency)>();
        var ttfb = new Histogram();
        int ttfbFailures = 0;
        using var listening = new CancellationTokenSource();
        var listenTasks = new List<Task>();
        var commands = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0) continue;
                switch (words[0])
                {
                    case "listen" when edge is not null:
                        foreach (var mount in generator.Mounts.Where(m => m.Stamped).SelectMany(m => Enumerable.Repeat(m, perMount)))
                        {
                            var latency = new Histogram();
                            Listener? listener = null;
                            listener = new Listener(edge, mount.Name, new FrameCheck(mount.Programme), (index, arrival) =>
                            {
                                if (mount.TrySentAt(index, arrival, out long sent) && sent >= listener!.StartedAt)
                                    latency.Add((arrival - sent) * 1000.0 / Stopwatch.Frequency);
                            });
                            lock (listeners) listeners.Add((listener, latency));
                            listenTasks.Add(Task.Run(() => listener.RunAsync(listening.Token)));
                        }
                        Console.WriteLine($"LISTENING {listenTasks.Count}");
                        break;
                    case "ttfb" when edge is not null:
                        int count = words.Length > 1 && int.TryParse(words[1], out int n) ? Math.Clamp(n, 1, 10_000) : 100;
                        var names = generator.Mounts.Select(m => m.Name).ToArray();
                        for (int i = 0; i < count && !generator.Stopping.IsCancellationRequested; i++)
                        {
                            var probe = new Listener(edge, names[i % names.Length]);
                            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                            await probe.RunAsync(timeout.Token, stopAfterFirstAudio: true);
                            if (probe.TimeToFirstAudio is { } t) ttfb.Add(t.TotalMilliseconds);
                            else ttfbFailures++;
                            await Task.Delay(20);
                        }
                        Console.WriteLine($"TTFB {ttfb.Count} {ttfbFailures}");
                        break;
                    case "stop":
                        generator.Stop();
                        return;
                }
            }
            generator.Stop();
        });

        var report = await run;
        await listening.CancelAsync();
        await Task.WhenAll(listenTasks).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        PoolReport? pool = null;
        Histogram.Summary? latencySummary = null;
        lock (listeners)
        {
            if (listeners.Count > 0)
            {
                var all = new Histogram();
                foreach (var (_, h) in listeners) all.Merge(h);
                latencySummary = all.Summarize();
                pool = Summarize([.. listeners.Select(l => l.Listener)]);
            }
        }
        Console.WriteLine(Json.Result(new Result(report, pool, latencySummary, ttfb.Count > 0 ? ttfb.Summarize() : null, ttfbFailures)));
        Console.Out.Flush();
        return 0;
    }

    private static PoolReport Summarize(IReadOnlyList<Listener> listeners)
    {
        var checks = listeners.Where(l => l.Check is not null).Select(l => l.Check!.Report()).ToList();
        return new PoolReport(
            listeners.Count,
            listeners.Count(l => l.State is ListenerState.Streaming or ListenerState.Stopped),
            listeners.Count(l => l.State == ListenerState.Dropped),
            listeners.Count(l => l.State == ListenerState.Refused),
            listeners.Count(l => l.State is ListenerState.Failed or ListenerState.Connecting),
            listeners.GroupBy(l => l.State).ToDictionary(g => g.Key.ToString(), g => g.Count()),
            listeners.Select(l => l.Error).FirstOrDefault(e => e is not null),
            listeners.Sum(l => l.AudioBytes),
            0,
            new Histogram().Summarize(),
            checks.Count,
            CheckReport.Sum(checks));
    }
}
