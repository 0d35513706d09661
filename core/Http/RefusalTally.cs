namespace Davecast.Http;

/// <summary>
/// Connections a port closed before serving them, counted by reason: totals since start, and what is new since the
/// last report, handed out at most once an interval so that a flood makes one log line an interval, not one a
/// connection. Times are milliseconds of a monotonic clock.
/// </summary>
public sealed class RefusalTally(int reasons, long intervalMs)
{
    private readonly Lock _gate = new();
    private readonly long[] _totals = new long[reasons];
    private readonly long[] _reported = new long[reasons];
    private long? _lastReportMs;

    /// <summary>What is new since the previous report, by reason; how long ago that report was (null: none yet); all since start.</summary>
    public sealed record Report(long[] Counts, long? SinceMs, long Total)
    {
        public long Count => Counts.Sum();
    }

    public long Total(int reason)
    {
        lock (_gate) return _totals[reason];
    }

    /// <summary>Counts one refusal; the report when one is due now, else null (the count waits for <see cref="TakeDue"/>).</summary>
    public Report? Add(int reason, long nowMs)
    {
        lock (_gate)
        {
            _totals[reason]++;
            return TakeLocked(nowMs);
        }
    }

    /// <summary>The report of counts still waiting, once the interval since the last one is over; else null.</summary>
    public Report? TakeDue(long nowMs)
    {
        lock (_gate) return TakeLocked(nowMs);
    }

    /// <summary>When counts wait, the milliseconds until they are due; else null.</summary>
    public long? DueInMs(long nowMs)
    {
        lock (_gate)
        {
            if (!_totals.AsSpan().SequenceEqual(_reported)) return _lastReportMs is { } last ? Math.Max(0, last + intervalMs - nowMs) : 0;
            return null;
        }
    }

    private Report? TakeLocked(long nowMs)
    {
        if (_lastReportMs is { } last && nowMs - last < intervalMs) return null;
        if (_totals.AsSpan().SequenceEqual(_reported)) return null;
        var counts = new long[_totals.Length];
        for (int i = 0; i < counts.Length; i++) counts[i] = _totals[i] - _reported[i];
        _totals.CopyTo(_reported, 0);
        var report = new Report(counts, nowMs - _lastReportMs, _totals.Sum());
        _lastReportMs = nowMs;
        return report;
    }
}
