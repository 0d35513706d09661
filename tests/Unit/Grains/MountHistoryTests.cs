using Davecast.Grains;

namespace Davecast.Tests.Grains;

/// <summary>
/// A mount's 15-minute history as <c>/mounts</c> draws it: a sample every 10 s, at most 90 kept, elections as marks,
/// and what the edges counted between two samples.
/// </summary>
public sealed class MountHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static EdgeReport Edge(string edge, long failovers, long switches, int listeners = 0) =>
        new(edge, T0, "studio-main", listeners, 0, 0, 0, 0, 0, failovers, switches, 0, 0);

    [Fact]
    public void Samples_once_an_interval_and_keeps_at_most_fifteen_minutes()
    {
        var history = new MountHistory();
        int samples = 0;
        for (int second = 0; second < 20 * 60; second++)
            if (history.Sample(T0.AddSeconds(second), () => (43.07, 2, "studio-main"))) samples++;

        Assert.Equal(120, samples);
        var snapshot = history.Snapshot(T0.AddSeconds(20 * 60 - 1));
        Assert.Equal(MountHistory.Capacity, snapshot.Points.Count);
        Assert.Equal(TimeSpan.FromSeconds(10), snapshot.Interval);
        Assert.True(snapshot.Points[^1].At - snapshot.Points[0].At <= TimeSpan.FromMinutes(15));
        Assert.All(snapshot.Points, p => Assert.Equal((43.07, 2, "studio-main"), (p.FramesPerSecond, p.Listeners, p.Live)));
        // Nothing older than 15 minutes is shown, even with no sample since.
        Assert.Empty(history.Snapshot(T0.AddMinutes(40)).Points);
    }

    [Fact]
    public void Elections_are_marks_named_by_how_the_live_encoder_changed()
    {
        var history = new MountHistory();
        history.OnElection(T0, null, "studio-main", planned: false);
        history.OnElection(T0.AddMinutes(1), "studio-main", "studio-backup", planned: false);
        history.OnElection(T0.AddMinutes(2), "studio-backup", "studio-main", planned: true);

        var events = history.Snapshot(T0.AddMinutes(3)).Events;
        Assert.Equal(["first", "failover", "switch"], events.Select(e => e.Kind));
        Assert.Equal("studio-main -> studio-backup", events[1].Text);
        Assert.Single(history.Snapshot(T0.AddMinutes(16.5)).Events);
    }

    [Fact]
    public void Each_sample_carries_what_an_edge_counted_since_the_one_before()
    {
        var history = new MountHistory();
        history.OnEdgeReport(Edge("edge-1", 5, 1), T0);
        history.OnEdgeReport(Edge("edge-2", 5, 1), T0);
        history.Sample(T0, () => (43, 0, "studio-main"));
        // Both edges saw the same failover: one failover, not two. edge-2 restarted: it counts from zero.
        history.OnEdgeReport(Edge("edge-1", 6, 1), T0.AddSeconds(5));
        history.OnEdgeReport(Edge("edge-2", 1, 0), T0.AddSeconds(5));
        history.Sample(T0.AddSeconds(10), () => (43, 0, "studio-backup"));
        history.OnEdgeReport(Edge("edge-1", 6, 2), T0.AddSeconds(15));
        history.Sample(T0.AddSeconds(20), () => (43, 0, "studio-main"));

        var points = history.Snapshot(T0.AddSeconds(20)).Points;
        Assert.Equal([(0L, 0L), (1L, 0L), (0L, 1L)], points.Select(p => (p.Failovers, p.Switches)));
    }
}
