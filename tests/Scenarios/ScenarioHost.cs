using System.Diagnostics;
using System.Globalization;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Scenarios;

/// <summary>
/// What every failover scenario needs: a real Redis for membership, a <see cref="Deployment"/> that uses it, a
/// timeline in the test output, and every process's log in the output when the scenario fails.
/// </summary>
internal sealed class ScenarioHost : IAsyncDisposable
{
    public const string Mount = "live.aac";

    /// <summary>How long the stream runs undisturbed, with the listener connected, before the first fault.</summary>
    public static readonly TimeSpan BeforeFault = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the stream is recorded after each fault: long enough for a dead relay to be declared dead (seconds), a
    /// quiet stream to be followed again (5 s) and the listener's lead to show whether it ran dry.
    /// </summary>
    public static readonly TimeSpan AfterFault = TimeSpan.FromSeconds(12);

    /// <summary>How long a listener waits, after the mount first answers, before it connects: its start burst.</summary>
    public static readonly TimeSpan BeforeListening = TimeSpan.FromSeconds(3);

    private readonly ITestOutputHelper _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<IAsyncDisposable> _owned = [];

    private ScenarioHost(string name, ITestOutputHelper output, RedisServer redis, bool oneCluster = true)
    {
        Name = name;
        _output = output;
        Redis = redis;
        D = oneCluster ? new Deployment { Redis = redis.ConnectionString } : new Deployment();
    }

    public string Name { get; }

    public RedisServer Redis { get; }

    public Deployment D { get; }

    public static string Fixture => Repo.Fixture("programme.aac");

    /// <summary>Two sites, a and b, and a studio, each a network namespace; sites a and b each with its own Redis (null until <see cref="StartSitesAsync"/>).</summary>
    public NetworkSites? Net { get; private set; }

    public Deployment.Site? SiteA { get; private set; }
    public Deployment.Site? SiteB { get; private set; }
    public RedisServer? RedisB { get; private set; }

    /// <summary>
    /// A host for two-site scenarios: namespaces "a", "b" and "studio", and a Redis (membership table) at each site.
    /// <see cref="Redis"/> is site a's.
    /// </summary>
    public static async Task<ScenarioHost> StartSitesAsync(string name, ITestOutputHelper output)
    {
        var net = await NetworkSites.CreateAsync("a", "b", "studio");
        try
        {
            var redisA = await RedisServer.StartAsync(net["a"]);
            var redisB = await RedisServer.StartAsync(net["b"]);
            var host = new ScenarioHost(name, output, redisA, oneCluster: false)
            {
                Net = net,
                RedisB = redisB,
                SiteA = new Deployment.Site("a", net["a"], redisA.ConnectionString),
                SiteB = new Deployment.Site("b", net["b"], redisB.ConnectionString),
            };
            host.Log($"scenario {name}: sites a ({net["a"].Address}, redis {redisA.ConnectionString}), b ({net["b"].Address}, redis {redisB.ConnectionString}), studio ({net["studio"].Address})");
            return host;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    public static async Task<ScenarioHost> StartAsync(string name, ITestOutputHelper output)
    {
        var redis = await RedisServer.StartAsync();
        var host = new ScenarioHost(name, output, redis);
        host.Log($"scenario {name}: redis on {redis.ConnectionString}, cluster {host.D.ClusterId}");
        return host;
    }

    public void Log(string line) =>
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] {line}"));

    public T Own<T>(T disposable) where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    /// <summary>Runs the scenario's steps; on failure, writes every process's log to the output.</summary>
    public async Task RunAsync(Func<Task> steps)
    {
        try
        {
            await steps();
            Log($"scenario {Name} done");
        }
        catch (Exception e)
        {
            Log($"scenario {Name} FAILED: {e.GetType().Name}: {e.Message}");
            _output.WriteLine("----- warnings and errors of every process -----");
            _output.WriteLine(D.Grep(" warn: ", " fail: ", " crit: ", "exception", "live encoder", "refused"));
            _output.WriteLine("----- tail of every process's output -----");
            _output.WriteLine(D.Logs(150));
            throw;
        }
    }

    /// <summary>Relays named relay-a, relay-b... (in this order: relay-a is the first started) and edges.</summary>
    public async Task<(Deployment.Relay[] Relays, Deployment.Edge[] Edges)> StartClusterAsync(int relays = 2, int edges = 1) =>
        (await StartRelaysAsync(relays), await StartEdgesAsync(edges));

    /// <summary>Relays named relay-a, relay-b..., one after the other (relay-a is the first started).</summary>
    public async Task<Deployment.Relay[]> StartRelaysAsync(int count, Func<int, string[]>? extra = null)
    {
        var r = new List<Deployment.Relay>();
        for (int i = 0; i < count; i++)
        {
            r.Add(await D.StartRelayAsync($"relay-{(char)('a' + i)}", extra?.Invoke(i) ?? []));
            Log($"{r[^1].Name} started: ingest :{r[^1].IngestPort}, silo :{r[^1].SiloPort}, gateway :{r[^1].GatewayPort}");
        }
        return [.. r];
    }

    /// <summary>Edges named edge-1, edge-2...</summary>
    public async Task<Deployment.Edge[]> StartEdgesAsync(int count)
    {
        var e = new List<Deployment.Edge>();
        for (int i = 0; i < count; i++)
        {
            e.Add(await D.StartEdgeAsync());
            Log($"{e[^1].Name} started on :{e[^1].Port}");
        }
        return [.. e];
    }

    /// <summary>Waits for the mount on each edge, lets the edges gather a start burst, then connects one listener per edge.</summary>
    public async Task<StreamRecorder[]> ListenAsync(params Deployment.Edge[] edges)
    {
        foreach (var edge in edges)
        {
            var type = await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            Log($"{edge.Name}: /{Mount} answers ({type})");
        }
        // The behaviour under test, not a wait for a condition: the stream plays this long before the listener joins,
        // which gives it its start burst, the lead the scenarios measure (and the mount answering was waited for above).
        await Task.Delay(BeforeListening);
        var recorders = new List<StreamRecorder>();
        foreach (var edge in edges)
        {
            var recorder = Own(new StreamRecorder());
            var response = await recorder.StartAsync(edge.Url(Mount));
            Assert.Equal(200, (int)response.StatusCode);
            recorders.Add(recorder);
        }
        Log($"listening on {string.Join(", ", edges.Select(e => e.Name))}");
        return [.. recorders];
    }

    /// <summary>Lets the scenario run, logging every 5 s how much each listener received and what the first edge says.</summary>
    public async Task RunForAsync(TimeSpan duration, Deployment.Edge? edge, params StreamRecorder[] recorders)
    {
        var end = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < end)
        {
            var step = end - DateTime.UtcNow;
            // The scenario's recording window, not a wait for a condition: the stream must hold up for this long.
            await Task.Delay(step < TimeSpan.FromSeconds(5) ? step : TimeSpan.FromSeconds(5));
            var received = string.Join(", ", recorders.Select(r => $"{r.Length} bytes{(r.Ended ? " (CLOSED)" : "")}"));
            var health = edge is null ? "" : " | " + await EdgeHealth.SummaryAsync(edge, Mount);
            Log($"listeners: {received}{health}");
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds; returns how long that took, or null on timeout.</summary>
    public static async Task<TimeSpan?> PollAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition()) return watch.Elapsed;
            await Task.Delay(200);
        }
        return null;
    }

    /// <summary>Writes the result's table row and details, and appends the row to $DAVECAST_SCENARIO_TABLE if set.</summary>
    public void Report(ScenarioCheck.Result result, string? note = null)
    {
        _output.WriteLine(ScenarioCheck.Result.Header);
        _output.WriteLine(result.ToString());
        _output.WriteLine(result.Details());
        if (note is not null) _output.WriteLine(note);
        if (Environment.GetEnvironmentVariable("DAVECAST_SCENARIO_TABLE") is { Length: > 0 } table)
            File.AppendAllText(table, result + (note is null ? "" : $" <!-- {note.ReplaceLineEndings(" ")} -->") + "\n");
    }

    /// <summary>The scenario's common verdict: frame-exact, never closed, never behind, and 20 s recorded after each fault.</summary>
    public static void AssertHitless(ScenarioCheck.Result result, StreamRecorder recorder)
    {
        Assert.False(recorder.Ended, $"{result.Scenario}: the edge closed the listener's connection");
        foreach (var f in result.Faults.Where(f => f.What.StartsWith("kill", StringComparison.Ordinal) || f.What.StartsWith("cut", StringComparison.Ordinal)))
            Assert.True(f.RecordedAfter >= AfterFault - TimeSpan.FromSeconds(1), $"only {f.RecordedAfter.TotalSeconds:F1} s recorded after {f.What}");
        Assert.True(result.Frames.Frames > 0, $"{result.Scenario}: no frame received");
        Assert.True(result.Frames.Perfect, $"{result.Scenario}: {result.Frames}");
        Assert.True(result.MaxLateness < TimeSpan.Zero,
            $"{result.Scenario}: the listener fell behind: max lateness {result.MaxLateness.TotalMilliseconds:F0} ms at {result.MaxLatenessAt.TotalSeconds:F1} s");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var o in Enumerable.Reverse(_owned)) await o.DisposeAsync();
        await D.DisposeAsync();
        await Redis.DisposeAsync();
        if (RedisB is not null) await RedisB.DisposeAsync();
        if (Net is not null) await Net.DisposeAsync();
    }
}
