using Davecast.Frames;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Scenarios;

/// <summary>
/// Promise 6 across sites, with real processes in network namespaces: site a (redis, relay-a, edge-a), site b
/// (redis, relay-b, edge-b), each its own Orleans cluster, and a studio outside both whose two encoders send to both
/// relays. Listeners (this test) hear both edges. The network between the sites splits, the studio loses a site,
/// a site's Redis or the whole site dies: no listener may hear it. The split test runs in the suite; the others,
/// which do not fit its 15 minutes, under <c>bench/run.sh failover</c> (trait Suite=bench).
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class SiteScenarios(ITestOutputHelper output)
{
    private const string Mount = ScenarioHost.Mount;

    /// <summary>How long a split or outage lasts, as the issue measured it.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    /// <summary>An edge follows both sites again within this long of a heal.</summary>
    private static readonly TimeSpan RejoinLimit = TimeSpan.FromSeconds(15);

    /// <summary>The longest pause between two reads a listener may see (the edge writes every 200 ms).</summary>
    private static readonly TimeSpan MaxReadGap = TimeSpan.FromSeconds(1);

    private sealed record TwoSites(Deployment.Relay RelayA, Deployment.Relay RelayB, Deployment.Edge EdgeA, Deployment.Edge EdgeB, ChildProcess Main, ChildProcess Backup);

    private static async Task<TwoSites> StartAsync(ScenarioHost s, DateTimeOffset? startAt)
    {
        var (a, b) = (s.SiteA!, s.SiteB!);
        var relays = await Task.WhenAll(s.D.StartRelayAsync("relay-a", a), s.D.StartRelayAsync("relay-b", b));
        s.Log($"relay-a at {relays[0].Address}, relay-b at {relays[1].Address}: one cluster per site");
        var studio = s.Net!["studio"];
        var main = s.D.StartPublisherIn(studio, "main", Mount, ScenarioHost.Fixture, 200, relays, startAt);
        var backup = s.D.StartPublisherIn(studio, "backup", Mount, ScenarioHost.Fixture, 100, relays, startAt);
        var edges = await Task.WhenAll(s.D.StartEdgeAsync("edge-a", a, [a, b]), s.D.StartEdgeAsync("edge-b", b, [a, b]));
        foreach (var edge in edges)
        {
            var both = await FollowsBothAsync(edge, TimeSpan.FromSeconds(60));
            s.Log(both is { } t ? $"{edge.Name} follows both sites after {t.TotalSeconds:F1} s" : $"{edge.Name} does not follow both sites");
            Assert.True(both is not null, $"{edge.Name} did not follow both sites within 60 s of its start");
        }
        return new TwoSites(relays[0], relays[1], edges[0], edges[1], main, backup);
    }

    /// <summary>Both sites started, a listener on each edge with its check, and the stream running undisturbed for a while.</summary>
    private static async Task<(TwoSites T, StreamRecorder[] Listeners, ScenarioCheck[] Checks)> PlayingAsync(ScenarioHost s, string scenario, DateTimeOffset? startAt)
    {
        var t = await StartAsync(s, startAt);
        var listeners = await s.ListenAsync(t.EdgeA, t.EdgeB);
        await s.RunForAsync(ScenarioHost.BeforeFault, t.EdgeA, listeners);
        return (t, listeners, Checks(scenario));
    }

    private static Task<TimeSpan?> FollowsBothAsync(Deployment.Edge edge, TimeSpan timeout) =>
        ScenarioHost.PollAsync(async () => (await EdgeHealth.SitesFollowedAsync(edge)) is { Count: 2 }, timeout);

    /// <summary>Every listener frame-exact, never behind, never silent for longer than <see cref="MaxReadGap"/> after <paramref name="from"/>.</summary>
    private static void AssertListeners(ScenarioHost s, ScenarioCheck[] checks, StreamRecorder[] listeners, TimeSpan from, string? note = null)
    {
        for (int i = 0; i < listeners.Length; i++)
        {
            var result = checks[i].Analyze(listeners[i]);
            var gap = listeners[i].LongestSilence(from);
            s.Report(result, $"longest read gap {gap.TotalMilliseconds:F0} ms{(note is null ? "" : "; " + note)}");
            ScenarioHost.AssertHitless(result, listeners[i]);
            Assert.True(gap <= MaxReadGap, $"{result.Scenario}: a read gap of {gap.TotalMilliseconds:F0} ms");
        }
    }

    private static void AssertAlive(ScenarioHost s, params ChildProcess[] processes)
    {
        foreach (var p in processes) Assert.False(p.HasExited, $"{p.Name} exited ({(p.HasExited ? p.ExitCode : 0)})");
        s.Log($"alive: {string.Join(", ", processes.Select(p => p.Name))}");
    }

    private static ScenarioCheck[] Checks(string scenario) =>
        [new($"{scenario}@edge-a", FrameContinuity.ForFile(ScenarioHost.Fixture)), new($"{scenario}@edge-b", FrameContinuity.ForFile(ScenarioHost.Fixture))];

    private static void Mark(ScenarioCheck[] checks, StreamRecorder[] listeners, string what)
    {
        for (int i = 0; i < checks.Length; i++) checks[i].Mark(what, listeners[i]);
    }

    [Fact]
    public async Task Split_between_sites_for_60_s_loses_nothing_at_either_site_and_both_edges_rejoin()
    {
        await using var s = await ScenarioHost.StartSitesAsync("Split", output);
        await s.RunAsync(async () =>
        {
            var (t, listeners, checks) = await PlayingAsync(s, "Split", EncoderScenarios.StartAt());

            Mark(checks, listeners, "cut: split a|b");
            var from = listeners[0].Elapsed;
            await s.Net!.SplitAsync("a", "b");
            s.Log("split: sites a and b cannot reach each other (the studio and the listeners reach both)");
            await s.RunForAsync(Outage, t.EdgeB, listeners);

            Mark(checks, listeners, "heal a|b");
            await s.Net.HealAsync("a", "b");
            s.Log("healed");
            var rejoin = await Task.WhenAll(FollowsBothAsync(t.EdgeA, RejoinLimit), FollowsBothAsync(t.EdgeB, RejoinLimit));
            s.Log($"after the heal: edge-a follows both sites in {Seconds(rejoin[0])}, edge-b in {Seconds(rejoin[1])}");
            await s.RunForAsync(TimeSpan.FromSeconds(8), t.EdgeA, listeners);

            AssertAlive(s, t.RelayA.Process, s.D["relay-b"].Process, t.EdgeA.Process, t.EdgeB.Process);
            AssertListeners(s, checks, listeners, from, $"rejoined both sites: edge-a {Seconds(rejoin[0])}, edge-b {Seconds(rejoin[1])}");
            Assert.True(rejoin.All(r => r is not null), $"an edge did not follow both sites within {RejoinLimit.TotalSeconds:F0} s of the heal");
        });
    }

    [Fact]
    [Trait("Suite", "bench")]
    public async Task Studio_loses_site_b_and_edge_b_plays_from_site_a()
    {
        await using var s = await ScenarioHost.StartSitesAsync("StudioLosesB", output);
        await s.RunAsync(async () =>
        {
            var (t, listeners, checks) = await PlayingAsync(s, "StudioLosesB", EncoderScenarios.StartAt());

            Mark(checks, listeners, "cut: studio|b");
            var from = listeners[0].Elapsed;
            await s.Net!.SplitAsync("studio", "b");
            s.Log("cut: the studio cannot reach site b; relay-b gets no frames");
            await s.RunForAsync(TimeSpan.FromSeconds(30), t.EdgeB, listeners);
            Mark(checks, listeners, "heal studio|b");
            await s.Net.HealAsync("studio", "b");
            await s.RunForAsync(ScenarioHost.AfterFault, t.EdgeB, listeners);

            AssertAlive(s, t.RelayA.Process, t.RelayB.Process, t.EdgeA.Process, t.EdgeB.Process);
            AssertListeners(s, checks, listeners, from);
        });
    }

    [Fact]
    [Trait("Suite", "bench")]
    public async Task Redis_of_site_a_down_for_60_s_loses_nothing()
    {
        await using var s = await ScenarioHost.StartSitesAsync("RedisDown", output);
        await s.RunAsync(async () =>
        {
            var (t, listeners, checks) = await PlayingAsync(s, "RedisDown", EncoderScenarios.StartAt());

            Mark(checks, listeners, "kill -9 redis@a");
            var from = listeners[0].Elapsed;
            s.Redis.Kill9();
            s.Log("killed site a's redis (its membership table and grain storage)");
            await s.RunForAsync(Outage, t.EdgeA, listeners);
            Mark(checks, listeners, "restart redis@a");
            await s.Redis.RestartAsync();
            s.Log("site a's redis is back (empty)");
            var healthy = await ScenarioHost.PollAsync(async () => await RelayHealthyAsync(t.RelayA), TimeSpan.FromSeconds(30));
            s.Log($"relay-a healthy after the restart: {Seconds(healthy)}");
            var rejoin = await Task.WhenAll(FollowsBothAsync(t.EdgeA, RejoinLimit), FollowsBothAsync(t.EdgeB, RejoinLimit));
            await s.RunForAsync(TimeSpan.FromSeconds(5), t.EdgeA, listeners);

            AssertAlive(s, t.RelayA.Process, t.RelayB.Process, t.EdgeA.Process, t.EdgeB.Process);
            AssertListeners(s, checks, listeners, from, $"relay-a healthy {Seconds(healthy)} after redis returned");
            Assert.True(healthy is not null, "relay-a did not report healthy within 30 s of its site's redis returning");
            Assert.True(rejoin.All(r => r is not null), "an edge did not follow both sites again");
        });
    }

    [Fact]
    [Trait("Suite", "bench")]
    public async Task Site_a_dies_and_site_b_listener_loses_nothing()
    {
        await using var s = await ScenarioHost.StartSitesAsync("SiteADies", output);
        await s.RunAsync(async () =>
        {
            var t = await StartAsync(s, EncoderScenarios.StartAt());
            var listeners = await s.ListenAsync(t.EdgeB);
            var check = new ScenarioCheck("SiteADies@edge-b", FrameContinuity.ForFile(ScenarioHost.Fixture));
            await s.RunForAsync(ScenarioHost.BeforeFault, t.EdgeB, listeners);

            check.Mark("kill -9 site a (relay-a, edge-a, redis)", listeners[0]);
            var from = listeners[0].Elapsed;
            t.RelayA.Process.Kill9();
            t.EdgeA.Process.Kill9();
            s.Redis.Kill9();
            s.Log("killed every process of site a");
            await s.RunForAsync(TimeSpan.FromSeconds(20), t.EdgeB, listeners);

            AssertAlive(s, t.RelayB.Process, t.EdgeB.Process);
            AssertListeners(s, [check], listeners, from);
        });
    }

    [Fact]
    [Trait("Suite", "bench")]
    public async Task Split_during_a_planned_switch_and_both_edges_emit_the_same_frames_after_the_heal()
    {
        await using var s = await ScenarioHost.StartSitesAsync("SplitSwitch", output);
        await s.RunAsync(async () =>
        {
            var startAt = EncoderScenarios.StartAt();
            var (t, listeners, checks) = await PlayingAsync(s, "SplitSwitch", startAt);

            Mark(checks, listeners, "kill -9 main");
            var from = listeners[0].Elapsed;
            t.Main.Kill9();
            await s.RunForAsync(ScenarioHost.AfterFault, t.EdgeA, listeners);
            Assert.Equal("backup", await EdgeHealth.PlayingAsync(t.EdgeA, Mount));

            Mark(checks, listeners, "restart main");
            s.D.StartPublisherIn(s.Net!["studio"], "main", Mount, ScenarioHost.Fixture, 200, [t.RelayA, t.RelayB], startAt);
            await s.RunForAsync(TimeSpan.FromSeconds(4), t.EdgeA, listeners);
            Mark(checks, listeners, "cut: split a|b");
            await s.Net.SplitAsync("a", "b");
            s.Log("split while main is returning: each site plans the switch on its own");
            await s.RunForAsync(TimeSpan.FromSeconds(30), t.EdgeA, listeners);
            Mark(checks, listeners, "heal a|b");
            await s.Net.HealAsync("a", "b");
            var rejoin = await Task.WhenAll(FollowsBothAsync(t.EdgeA, RejoinLimit), FollowsBothAsync(t.EdgeB, RejoinLimit));
            await s.RunForAsync(TimeSpan.FromSeconds(10), t.EdgeA, listeners);

            var playing = await Task.WhenAll(EdgeHealth.PlayingAsync(t.EdgeA, Mount), EdgeHealth.PlayingAsync(t.EdgeB, Mount));
            s.Log($"after the heal: edge-a plays {playing[0]}, edge-b plays {playing[1]}");
            var same = SameFramesAtTheEnd(listeners[0].Bytes(), listeners[1].Bytes(), 200);
            s.Log($"the last 200 frames of both edges, aligned: {same}");
            AssertAlive(s, t.RelayA.Process, t.RelayB.Process, t.EdgeA.Process, t.EdgeB.Process);
            AssertListeners(s, checks, listeners, from);
            Assert.True(playing.All(p => p == "main"), $"after the heal the edges play {string.Join(" and ", playing)}, not main");
            Assert.True(same.Equal, $"the edges emitted different frames after the heal: {same}");
            Assert.True(rejoin.All(r => r is not null), "an edge did not follow both sites again");
        });
    }

    /// <summary>
    /// Aligns the newest <paramref name="count"/> frames of <paramref name="a"/> with <paramref name="b"/>'s (the
    /// listeners started at different moments) and compares them byte for byte.
    /// </summary>
    private static (bool Equal, string Detail) SameFramesAtTheEnd(byte[] a, byte[] b, int count)
    {
        var fa = FrameFile.ReadAll(a);
        var fb = FrameFile.ReadAll(b);
        if (fa.Count < count + 50 || fb.Count < count + 50) return (false, $"too few frames ({fa.Count}, {fb.Count})");
        // The newest of a's window, found in b near b's end: frames repeat in a looped file, so match a run of 8.
        int startA = fa.Count - count - 10;
        for (int j = fb.Count - 10; j >= count; j--)
        {
            int offset = j - startA;
            bool match = true;
            for (int k = 0; k < 8 && match; k++)
                match = startA + k < fa.Count && j + k < fb.Count && fa[startA + k].Data.AsSpan().SequenceEqual(fb[j + k].Data);
            if (!match) continue;
            int compared = 0;
            for (int i = startA; i < startA + count && i + offset < fb.Count; i++, compared++)
                if (!fa[i].Data.AsSpan().SequenceEqual(fb[i + offset].Data)) return (false, $"frame {i} of edge-a differs from frame {i + offset} of edge-b");
            return compared >= count / 2 ? (true, $"{compared} frames equal") : (false, $"only {compared} frames overlap");
        }
        return (false, "edge-a's recent frames were not found in edge-b's stream");
    }

    private static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:F1} s" : "NOT within the limit";

    private static async Task<bool> RelayHealthyAsync(Deployment.Relay relay)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var r = await http.GetAsync($"http://{relay.Address}:{relay.DashboardPort}/healthz");
            return r.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }
}
