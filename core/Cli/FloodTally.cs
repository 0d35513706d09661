namespace Davecast.Cli;

/// <summary>
/// Events that can come in floods (refused connections, refused packets, a stranger's garbage), counted by reason:
/// totals since start, and what is new since the last report, handed out at most once an interval so that a flood
/// makes one log line an interval, not one an event. Times are milliseconds of a monotonic clock
/// (<see cref="NowMs"/>).
/// </summary>
public sealed class FloodTally(int reasons, long intervalMs)
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

    /// <summary>Milliseconds of the monotonic clock the callers without a clock of their own use.</summary>
    public static long NowMs => Environment.TickCount64;

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

    /// <summary>
    /// For a tally of one kind of event, logged without a timer: counts one, and is true when a line is due now, with
    /// <paramref name="held"/> how many came since the last line unlogged (they are told at the next).
    /// </summary>
    public bool Pass(long nowMs, out long held)
    {
        var report = Add(0, nowMs);
        held = report is null ? 0 : report.Count - 1;
        return report is not null;
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
