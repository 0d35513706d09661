namespace Davecast.Grains;

/// <summary>One sample of a mount's history: the live encoder's frame rate and the listeners all edges reported.</summary>
/// <param name="Failovers">Failovers an edge counted since the sample before (the most any one edge counted).</param>
/// <param name="Switches">Planned switches an edge counted since the sample before (likewise).</param>
[GenerateSerializer, Immutable]
public sealed record HistoryPoint(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double FramesPerSecond,
    [property: Id(2)] int Listeners,
    [property: Id(3)] string? Live,
    [property: Id(4)] long Failovers,
    [property: Id(5)] long Switches);

/// <summary>A change of the live encoder: <c>failover</c> (at once), <c>switch</c> (planned) or <c>first</c> (the first election).</summary>
[GenerateSerializer, Immutable]
public sealed record HistoryEvent(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Kind,
    [property: Id(2)] string Text);

/// <summary>A mount's recent history as <c>/mounts</c> draws it.</summary>
[GenerateSerializer, Immutable]
public sealed record MountHistorySnapshot(
    [property: Id(0)] TimeSpan Interval,
    [property: Id(1)] IReadOnlyList<HistoryPoint> Points,
    [property: Id(2)] IReadOnlyList<HistoryEvent> Events);

/// <summary>
/// The last 15 minutes of one mount, kept by its grain in memory: a sample every <see cref="Interval"/> (at most
/// <see cref="Capacity"/>), and the elections in the same span. Bounded, and fed from reports only (never per frame).
/// </summary>
public sealed class MountHistory
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public const int Capacity = 90;
    private static readonly TimeSpan EdgeTimeout = TimeSpan.FromSeconds(30);

    private readonly Queue<HistoryPoint> _points = new();
    private readonly Queue<HistoryEvent> _events = new();
    private readonly Dictionary<string, (long Failovers, long Switches, DateTimeOffset At)> _edgeCounters = new(StringComparer.Ordinal);
    private long _failovers, _switches;
    private DateTimeOffset _last = DateTimeOffset.MinValue;

    private static readonly TimeSpan Span = Interval * Capacity;

    /// <summary>Counts what an edge's report adds to its failovers and switches; an edge that restarted counts from zero.</summary>
    public void OnEdgeReport(EdgeReport report, DateTimeOffset now)
    {
        if (_edgeCounters.TryGetValue(report.Edge, out var before))
        {
            _failovers = Math.Max(_failovers, Since(before.Failovers, report.Failovers));
            _switches = Math.Max(_switches, Since(before.Switches, report.Switches));
        }
        _edgeCounters[report.Edge] = (report.Failovers, report.Switches, now);
    }

    private static long Since(long before, long now) => now >= before ? now - before : now;

    public void OnElection(DateTimeOffset at, string? previous, string next, bool planned) =>
        Add(_events, new HistoryEvent(at, previous is null ? "first" : planned ? "switch" : "failover", $"{previous ?? "(none)"} -> {next}"), e => e.At, at);

    /// <summary>Takes a sample when the last one is <see cref="Interval"/> old; returns whether it did.</summary>
    public bool Sample(DateTimeOffset now, Func<(double FramesPerSecond, int Listeners, string? Live)> read)
    {
        if (now - _last < Interval) return false;
        _last = now;
        var (fps, listeners, live) = read();
        Add(_points, new HistoryPoint(now, Math.Round(fps, 2), listeners, live, _failovers, _switches), p => p.At, now);
        _failovers = _switches = 0;
        // Edges gone quiet are forgotten with their counters, so the table stays as small as the edges reporting.
        foreach (var edge in _edgeCounters.Where(e => now - e.Value.At > EdgeTimeout).Select(e => e.Key).ToList()) _edgeCounters.Remove(edge);
        return true;
    }

    /// <summary>The samples and elections of the last <see cref="Capacity"/> intervals.</summary>
    public MountHistorySnapshot Snapshot(DateTimeOffset now) =>
        new(Interval, [.. _points.Where(p => now - p.At <= Span)], [.. _events.Where(e => now - e.At <= Span)]);

    private static void Add<T>(Queue<T> queue, T item, Func<T, DateTimeOffset> at, DateTimeOffset now)
    {
        queue.Enqueue(item);
        while (queue.Count > Capacity || (queue.TryPeek(out var oldest) && now - at(oldest) > Span)) queue.Dequeue();
    }
}
