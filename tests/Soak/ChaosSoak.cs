using System.Globalization;
using System.Text;
using Davecast.Tests.Scenarios;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Soak;

/// <summary>
/// The chaos soak of BENCHMARKS.md, run by <c>bench/run.sh soak [--minutes N]</c> (30 by default): two sites, each its
/// own cluster (a relay, an edge following both sites, a Redis), 20 mounts of two encoders each (main and backup,
/// one programme, the same --start-at) sending to both relays through a <see cref="PathProxy"/> per relay, and a
/// listener per mount on each edge whose every frame is checked. After the warm-up, every 30-90 s (seeded, start to
/// start) one fault at a time, dealt from a <see cref="FaultDeck"/>: every six faults meet every kind once. Listeners of an edge that was never stopped must miss nothing; every process's RSS, file
/// descriptors, threads and managed heap are reported against their figures after warm-up. Trait Suite=bench keeps
/// it out of the suite; bench/run.sh failover leaves it out too.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ChaosSoak(ITestOutputHelper output)
{
    private const int Mounts = 20;

    /// <summary>Recorded after the last fault ends, so that what it did reaches the listeners.</summary>
    private static readonly TimeSpan Tail = TimeSpan.FromSeconds(20);

    private sealed class Listener(string edge, string mount, StreamRecorder recorder)
    {
        public string Edge { get; } = edge;
        public string Mount { get; } = mount;
        public StreamRecorder Recorder { get; } = recorder;
        public DateTime Since { get; } = DateTime.UtcNow;

        /// <summary>Its edge was stopped while it listened: its frames are reported, not required to be perfect.</summary>
        public string? EdgeStopped { get; set; }
    }

    private sealed record Fault(DateTime At, TimeSpan Offset, string Kind, string What, string Outcome);

    [Fact]
    [Trait("Suite", "bench")]
    public async Task Chaos_soak_listeners_of_edges_never_stopped_miss_nothing()
    {
        var settings = SoakSettings.FromEnvironment();
        var run = new Run(settings, output);
        await using var s = await ScenarioHost.StartSitesAsync("ChaosSoak", output);
        run.Host = s;
        await s.RunAsync(run.ExecuteAsync);
    }

    private sealed class Run(SoakSettings settings, ITestOutputHelper output)
    {
        private readonly Random _random = new(settings.Seed);
        private FaultDeck? _deck;
        private readonly List<Listener> _listeners = [];
        private readonly List<Fault> _faults = [];
        private readonly Dictionary<string, ChildProcess> _encoders = new(StringComparer.Ordinal);
        private readonly SoakProcesses _processes = new(settings.WarmUp);
        private readonly FrameContinuity _continuity = FrameContinuity.ForFile(ScenarioHost.Fixture);
        private readonly DateTime _started = DateTime.UtcNow;
        private DateTime _listening;
        private PathProxy[] _proxies = [];
        private Deployment.Site[] _sites = [];
        private RedisServer[] _redis = [];
        // Each site's Redis as the resource table names its current run (redis@a, then redis@a#2 once restarted...).
        private string[] _redisNames = [];
        private DateTimeOffset? _startAt;

        public ScenarioHost Host { get; set; } = null!;

        private Deployment D => Host.D;

        private static string Mount(int i) => $"soak{i:00}.aac";

        private static string Clock(DateTime t) => t.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

        private void Log(string line) => Host.Log($"{Clock(DateTime.UtcNow)} {line}");

        public async Task ExecuteAsync()
        {
            Log($"soak: {settings.Duration.TotalMinutes:F0} minutes, seed {settings.Seed}, warm-up {settings.WarmUp.TotalSeconds:F0} s, {Mounts} mounts");
            _sites = [Host.SiteA!, Host.SiteB!];
            _redis = [Host.Redis, Host.RedisB!];
            _redisNames = [.. _sites.Select(site => $"redis@{site.Name}")];
            for (int i = 0; i < 2; i++)
            {
                var redis = _redis[i];
                _processes.Add(_redisNames[i], () => redis.Pid, null);
            }
            var relays = await Task.WhenAll(D.StartRelayAsync("relay-a", _sites[0]), D.StartRelayAsync("relay-b", _sites[1]));
            foreach (var r in relays) WatchRelay(r);
            // One proxy per relay, shared by every publisher: a path (relay, UDP or TCP) is cut or lossy for all at once.
            _proxies = [.. relays.Select((r, i) => Host.Own(new PathProxy($"path-{r.Site}", r.IngestPort, settings.Seed + i, r.Address) { CountFrames = false }))];
            var edges = new List<Deployment.Edge>();
            foreach (var site in _sites) edges.Add(await StartEdgeAsync(site));
            // One mount at a time, each once an edge plays it: forty programs starting at once starve two cores.
            _startAt = EncoderScenarios.StartAt();
            for (int m = 1; m <= Mounts; m++)
            {
                foreach (var encoder in new[] { "main", "backup" }) StartEncoder(Mount(m), encoder);
                await Wait.ForMountAsync(edges[0].Url(Mount(m)), TimeSpan.FromSeconds(120));
            }
            Log($"{Mounts * 2} publishers started (--start-at {_startAt:O}) through {string.Join(", ", _proxies.Select(p => p.ToString()))}");
            foreach (var edge in edges) await ListenAsync(edge);

            _listening = DateTime.UtcNow;
            _processes.LoadBegins();
            var end = DateTime.UtcNow + settings.Duration;
            var warmedUp = DateTime.UtcNow + settings.WarmUp;
            // With --warmup-faults the faults begin with the load, and the warm-up lasts until one of each kind has passed too.
            var next = (settings.WarmUpFaults ? DateTime.UtcNow : warmedUp) + Interval();
            int cycle = settings.Faults.Count > 0 ? settings.Faults.Distinct().Count() : SoakSettings.FaultKinds.Length;
            Log($"listening; the processes' first figures at {Clock(warmedUp)} (a restarted one's {_processes.RestartedWarmUp?.TotalSeconds:F0} s after its start){(settings.WarmUpFaults ? $" once {cycle} faults have passed, one of each kind" : "")}, the first fault at {Clock(next)}, the end at {Clock(end)}");
            var lastProgress = DateTime.UtcNow;
            while (DateTime.UtcNow < end)
            {
                _processes.CountThreads();
                await _processes.SampleWarmedUpAsync(held: settings.WarmUpFaults && _faults.Select(f => f.Kind).Distinct().Count() < cycle);
                await _processes.SampleSeriesAsync();
                if (DateTime.UtcNow >= next && end - DateTime.UtcNow > Tail + TimeSpan.FromSeconds(60))
                {
                    // From one fault's start to the next's (one at a time: at once if this one took longer).
                    var began = DateTime.UtcNow;
                    await FaultAsync();
                    next = began + Interval();
                    Log($"next fault at {Clock(next < DateTime.UtcNow ? DateTime.UtcNow : next)}");
                }
                if (DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(30))
                {
                    lastProgress = DateTime.UtcNow;
                    Log($"listeners: {_listeners.Sum(l => l.Recorder.Length) / 1024} KB in all, {_listeners.Count(l => l.Recorder.Ended)} closed of {_listeners.Count}; "
                        + string.Join("; ", _proxies.Select(p => p.ToString())));
                }
                // The soak's clock, not a wait for a condition: it samples, faults and reports on a 1 s beat.
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            await _processes.SampleEndAsync();
            Report();
        }

        private TimeSpan Interval() => TimeSpan.FromSeconds(_random.Next(30, 91));

        private void WatchRelay(Deployment.Relay r) =>
            _processes.Add(r.Process.Name, () => r.Process.Pid, $"http://{r.Address}:{r.DashboardPort}/metrics", series: true);

        private void StartEncoder(string mount, string encoder)
        {
            string id = $"{encoder}-{mount[4..6]}";
            int metricsPort = Ports.Free();
            var p = D.StartPublisherTo(id, mount, ScenarioHost.Fixture, encoder == "main" ? 200 : 100, _proxies.Select(x => x.Port), _startAt,
                "--metrics-listen", $"127.0.0.1:{metricsPort}");
            _encoders[$"{mount}/{id}"] = p;
            _processes.Add(p.Name, () => p.Pid, $"http://127.0.0.1:{metricsPort}/metrics");
        }

        /// <summary>An edge at <paramref name="site"/> following both sites.</summary>
        private async Task<Deployment.Edge> StartEdgeAsync(Deployment.Site site)
        {
            var edge = await D.StartEdgeAsync($"edge-{site.Name}", site, _sites);
            _processes.Add(ProcessName(edge), () => edge.Process.Pid, $"http://{edge.Address}:{edge.Port}/metrics", series: true);
            var both = await ScenarioHost.PollAsync(async () => (await EdgeHealth.SitesFollowedAsync(edge)) is { Count: 2 }, TimeSpan.FromSeconds(90));
            Log($"{edge.Name} on {edge.Address}:{edge.Port} follows both sites: {(both is { } t ? $"after {t.TotalSeconds:F1} s" : "NOT within 90 s")}");
            return edge;
        }

        /// <summary>A checked listener per mount on <paramref name="edge"/>, once it plays every mount.</summary>
        private async Task ListenAsync(Deployment.Edge edge)
        {
            for (int m = 1; m <= Mounts; m++) await Wait.ForMountAsync(edge.Url(Mount(m)), TimeSpan.FromSeconds(120));
            // The behaviour under test: the listeners join a playing stream, with the start burst the edge has gathered.
            await Task.Delay(ScenarioHost.BeforeListening);
            for (int m = 1; m <= Mounts; m++)
            {
                var recorder = Host.Own(new StreamRecorder());
                var response = await recorder.StartAsync(edge.Url(Mount(m)));
                Assert.True((int)response.StatusCode == 200, $"{edge.Name}/{Mount(m)}: {(int)response.StatusCode}");
                _listeners.Add(new Listener(edge.Name, Mount(m), recorder));
            }
            Log($"{Mounts} listeners on {edge.Name}");
        }

        private async Task FaultAsync()
        {
            var at = DateTime.UtcNow;
            var offset = at - _listening;
            // Dealt from the deck, or the next of the list given (DAVECAST_SOAK_FAULTS): the draws stay the same either way.
            int dealt = (_deck ??= new FaultDeck(SoakSettings.FaultKinds.Length, _random)).Next();
            int kind = settings.Faults.Count == 0 ? dealt : Array.IndexOf(SoakSettings.FaultKinds, settings.Faults[_faults.Count % settings.Faults.Count]);
            string what = "", outcome = "";
            switch (kind)
            {
                case 0:
                {
                    var name = _random.Next(2) == 0 ? "relay-a" : "relay-b";
                    var old = D[name].Process;
                    what = $"kill -9 {name} ({old.Name})";
                    Log($"FAULT {what}");
                    D.KillRelay(name);
                    _processes.Exclude(old.Name, $"kill -9 at {Clock(at)}");
                    var down = TimeSpan.FromSeconds(_random.Next(5, 16));
                    await Task.Delay(down);
                    var relay = await D.RestartRelayAsync(name);
                    WatchRelay(relay);
                    var rejoined = await BothEdgesFollowBothAsync();
                    outcome = $"restarted after {down.TotalSeconds:F0} s as {relay.Process.Name}; edges follow both sites again {rejoined}";
                    break;
                }
                case 1:
                {
                    var mount = Mount(_random.Next(1, Mounts + 1));
                    var edge = D.Edges.Last(e => !e.Process.HasExited);
                    var live = await EdgeHealth.LiveAsync(edge, mount) ?? $"main-{mount[4..6]}";
                    var key = $"{mount}/{live}";
                    if (!_encoders.TryGetValue(key, out var p))
                    {
                        what = $"kill -9 the live encoder of {mount}";
                        outcome = $"skipped: {edge.Name} names '{live}', not one of this soak's encoders";
                        break;
                    }
                    what = $"kill -9 {live} of {mount}, the live encoder ({p.Name})";
                    Log($"FAULT {what}");
                    p.Kill9();
                    _processes.Exclude(p.Name, $"kill -9 at {Clock(at)}");
                    var down = TimeSpan.FromSeconds(_random.Next(5, 16));
                    await Task.Delay(down);
                    StartEncoder(mount, live[..live.IndexOf('-')]);
                    outcome = $"restarted after {down.TotalSeconds:F0} s as {_encoders[key].Name}";
                    break;
                }
                case 2 or 3:
                {
                    var proxy = _proxies[_random.Next(2)];
                    bool udp = _random.Next(2) == 0;
                    var lasts = TimeSpan.FromSeconds(kind == 2 ? 20 : 60);
                    what = kind == 2 ? $"cut {(udp ? "UDP" : "TCP")} on {proxy.Name} for {lasts.TotalSeconds:F0} s" : $"20 % loss on {(udp ? "UDP" : "TCP")} of {proxy.Name} for {lasts.TotalSeconds:F0} s";
                    Log($"FAULT {what}");
                    SetPath(proxy, udp, kind == 2, on: true);
                    await Task.Delay(lasts);
                    SetPath(proxy, udp, kind == 2, on: false);
                    outcome = $"healed; {proxy}";
                    break;
                }
                case 4:
                {
                    int i = _random.Next(2);
                    var redis = _redis[i];
                    string name = $"redis@{_sites[i].Name}";
                    what = $"{name} down for 30 s (kill -9, then restarted on its port and directory)";
                    Log($"FAULT {what}");
                    redis.Kill9();
                    // The run it ends, whichever restart that is: a pid read later is the next run's.
                    _processes.Exclude(_redisNames[i], $"kill -9 at {Clock(at)}");
                    await Task.Delay(TimeSpan.FromSeconds(30));
                    await redis.RestartAsync();
                    _redisNames[i] = $"{name}#{_faults.Count(f => f.What.StartsWith(name, StringComparison.Ordinal)) + 2}";
                    _processes.Add(_redisNames[i], () => redis.Pid, null);
                    outcome = $"back at {Clock(DateTime.UtcNow)}; edges follow both sites again {await BothEdgesFollowBothAsync()}";
                    break;
                }
                default:
                {
                    int i = _random.Next(2);
                    var site = _sites[i];
                    var edge = D.Edges.Last(e => e.Name == $"edge-{site.Name}");
                    what = $"SIGTERM {edge.Name} (:{edge.Port}) and start it again";
                    Log($"FAULT {what}");
                    foreach (var l in _listeners.Where(l => l.Edge == edge.Name && l.EdgeStopped is null)) l.EdgeStopped = $"SIGTERM at {Clock(at)}";
                    bool left = edge.Process.Terminate(TimeSpan.FromSeconds(30));
                    _processes.Exclude(ProcessName(edge), $"SIGTERM at {Clock(at)}");
                    var again = await StartEdgeAsync(site);
                    await ListenAsync(again);
                    outcome = $"{(left ? "it left by itself" : "it did NOT leave within 30 s")}; back on :{again.Port}, its listeners reconnected at {Clock(DateTime.UtcNow)}";
                    break;
                }
            }
            Log($"fault done: {what}: {outcome}");
            _faults.Add(new Fault(at, offset, SoakSettings.FaultKinds[kind], what, outcome));
        }

        private string ProcessName(Deployment.Edge edge)
        {
            int generation = D.Edges.Where(e => e.Name == edge.Name).ToList().IndexOf(edge) + 1;
            return generation == 1 ? edge.Name : $"{edge.Name}#{generation}";
        }

        private static void SetPath(PathProxy proxy, bool udp, bool cut, bool on)
        {
            if (cut && udp) proxy.UdpCut = on;
            else if (cut) proxy.TcpCut = on;
            else if (udp) proxy.UdpLoss = on ? 0.2 : 0;
            else proxy.TcpLoss = on ? 0.2 : 0;
        }

        private async Task<string> BothEdgesFollowBothAsync()
        {
            var edges = D.Edges.Where(e => !e.Process.HasExited).ToList();
            var times = await Task.WhenAll(edges.Select(e => ScenarioHost.PollAsync(async () => (await EdgeHealth.SitesFollowedAsync(e)) is { Count: 2 }, TimeSpan.FromSeconds(60))));
            return times.All(t => t is not null) ? $"after {times.Max()!.Value.TotalSeconds:F1} s" : "NOT within 60 s";
        }

        private void Report()
        {
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"# Chaos soak, {Clock(_started)} to {Clock(DateTime.UtcNow)} UTC {_started:yyyy-MM-dd}");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{settings.Duration.TotalMinutes:F0} minutes, seed {settings.Seed} (--seed to replay the faults){(settings.Faults.Count > 0 ? $", faults in turn: {string.Join(", ", settings.Faults)}" : "")}, warm-up {settings.WarmUp.TotalSeconds:F0} s{(settings.WarmUpFaults ? " and one fault of each kind (faults from the start of the load)" : "")}; "
                + $"two sites (a relay, an edge and a Redis each), {Mounts} mounts of two encoders, {_listeners.Count} listeners.");
            sb.AppendLine();
            sb.AppendLine("## Faults");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Listening from {Clock(_listening)}.");
            sb.AppendLine();
            sb.AppendLine("| at (UTC) | after listening began | fault | outcome |");
            sb.AppendLine("|---|---:|---|---|");
            foreach (var f in _faults) sb.AppendLine(CultureInfo.InvariantCulture, $"| {Clock(f.At)} | {f.Offset.TotalSeconds:F0} s | {f.What} | {f.Outcome} |");
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{_faults.Count} faults: {string.Join(", ", SoakSettings.FaultKinds.Select(k => $"{k} {_faults.Count(f => f.Kind == k)}"))}.");
            sb.AppendLine();
            sb.AppendLine("## Listeners");
            sb.AppendLine();
            sb.AppendLine("Listeners of an edge never stopped while they listened must miss nothing (the pass/fail); those of a stopped edge are reported only.");
            sb.AppendLine();
            sb.AppendLine("| edge | mount | since | frames checked | missing | repeated | foreign | closed by the edge | verdict |");
            sb.AppendLine("|---|---|---|---:|---:|---:|---:|---|---|");
            var failures = new List<string>();
            foreach (var l in _listeners)
            {
                var r = _continuity.Check(l.Recorder.Bytes());
                bool closed = l.Recorder.Ended && l.EdgeStopped is null;
                string verdict = l.EdgeStopped is { } why ? $"reported only: edge {why}"
                    : r.Perfect && !closed && r.Frames > 0 ? "pass" : "FAIL";
                if (verdict == "FAIL") failures.Add($"{l.Edge}/{l.Mount}: {r}{(closed ? "; closed by the edge" : "")}");
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {l.Edge} | {l.Mount} | {Clock(l.Since)} | {r.Frames} | {r.Missing} | {r.Repeated} | {r.Foreign} | {(l.Recorder.Ended ? "yes" : "no")} | {verdict} |");
            }
            sb.AppendLine();
            sb.AppendLine("## Processes");
            sb.AppendLine();
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"First figures once the warm-up after the load began is over (a process a fault restarted: once it has run {_processes.RestartedWarmUp?.TotalSeconds:F0} s, as long as the first processes had at theirs, from their start to the end of the warm-up); a process a fault killed or stopped is not compared. ")
                + "Each .NET process (relays, edges, publishers) is read just after a full blocking collection induced from outside (EventPipe, GCHeapCollect); "
                + "GC live heap (judged): davecast_gc_live_bytes from its /metrics, the objects that collection kept; with free space (reported): davecast_gc_heap_bytes, the heap it left, "
                + "holes included (chiefly the large-object heap's, which is never compacted: they follow which large buffers came and went, and they count in RSS, which is judged). Redis is not .NET: RSS, fds and threads only.");
            sb.AppendLine();
            sb.Append(_processes.Table());
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"Threads: the least count read every {SoakProcesses.ThreadBeat.TotalSeconds:F0} s over the {SoakProcesses.ThreadWindow.TotalSeconds:F0} s before the figures (the thread pool retires a worker 20 s after its burst; a thread that never ends is in every count). "
                + $"Relays and edges were also read every {SoakProcesses.SeriesEvery.TotalMinutes:F0} minutes of load, each after an induced full collection:");
            sb.AppendLine();
            sb.Append(_processes.SeriesTable());
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Listeners: {(failures.Count == 0 ? "PASS" : $"FAIL ({failures.Count})")}. Resources within ±10 %: {(_processes.AllHeld ? "yes" : "NO (see the table)")}.");
            var text = sb.ToString();
            output.WriteLine(text);
            if (settings.ReportPath is { } path) File.WriteAllText(path, text);
            if (failures.Count > 0)
            {
                output.WriteLine(D.Grep(" warn: ", " fail: ", " crit: ", "exception", "live encoder"));
                Assert.Fail("listeners of an edge never stopped missed or repeated frames:\n" + string.Join("\n", failures));
            }
        }
    }
}
