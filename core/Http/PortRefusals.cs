using System.Globalization;
using Davecast.Cli;
using Microsoft.Extensions.Logging;

namespace Davecast.Http;

/// <summary>
/// A port's <see cref="FloodTally"/> and its log: a refusal after a quiet interval is logged at once; those that
/// follow within the interval, in one line when it ends.
/// </summary>
/// <typeparam name="TReason">The reasons, numbered from 0 without gaps.</typeparam>
public sealed class PortRefusals<TReason> : IDisposable where TReason : struct, Enum
{
    private readonly string _port;
    private readonly Func<TReason, string> _describe;
    private readonly ILogger _logger;
    private readonly TimeProvider _clock;
    private readonly FloodTally _tally;
    private readonly ITimer _flush;
    private readonly TReason[] _reasons = Enum.GetValues<TReason>();
    private string _lastRemote = "";
    private int _flushScheduled;

    /// <param name="port">The port as the log names it, e.g. "Source port 0.0.0.0:8001".</param>
    /// <param name="describe">A reason as the log words it, naming its option and value: "over --max-connections (11000)".</param>
    public PortRefusals(string port, Func<TReason, string> describe, ILogger logger, TimeSpan interval, TimeProvider? clock = null)
    {
        _port = port;
        _describe = describe;
        _logger = logger;
        _clock = clock ?? TimeProvider.System;
        _tally = new FloodTally(_reasons.Length, (long)interval.TotalMilliseconds);
        _flush = _clock.CreateTimer(_ => Flush(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public long Total(TReason reason) => _tally.Total(Index(reason));

    /// <summary>Counts a connection closed for <paramref name="reason"/>; <paramref name="remote"/> is named in the log.</summary>
    public void Add(TReason reason, string remote)
    {
        Volatile.Write(ref _lastRemote, remote);
        if (_tally.Add(Index(reason), NowMs) is { } report) Log(report);
        else ScheduleFlush();
    }

    public void Dispose() => _flush.Dispose();

    private long NowMs => (long)_clock.GetElapsedTime(0).TotalMilliseconds;

    private static int Index(TReason reason) => Convert.ToInt32(reason, CultureInfo.InvariantCulture);

    private void Flush()
    {
        Volatile.Write(ref _flushScheduled, 0);
        if (_tally.TakeDue(NowMs) is { } report) Log(report);
        else ScheduleFlush();
    }

    // One timer at a time, set for when the waiting counts are due.
    private void ScheduleFlush()
    {
        if (_tally.DueInMs(NowMs) is not { } due || Interlocked.Exchange(ref _flushScheduled, 1) != 0) return;
        try
        {
            _flush.Change(TimeSpan.FromMilliseconds(due + 1), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The port is stopping: what waits goes unlogged.
        }
    }

    private void Log(FloodTally.Report report)
    {
        var reasons = string.Join(", ", _reasons.Select((r, i) => (r, n: report.Counts[i])).Where(x => x.n > 0).Select(x => $"{x.n} {_describe(x.r)}"));
        var period = report.SinceMs is { } ms ? string.Create(CultureInfo.InvariantCulture, $" in the last {ms / 1000.0:0.#} s") : "";
        _logger.ConnectionsClosed(_port, report.Count, period, reasons, Volatile.Read(ref _lastRemote), report.Total);
    }
}

internal static partial class PortRefusalsLog
{
    [LoggerMessage(LogLevel.Warning, "{Port}: closed {Count} connection(s){Period} before serving them: {Reasons}; the last from {Remote}; {Total} since start")]
    public static partial void ConnectionsClosed(this ILogger logger, string port, long count, string period, string reasons, string remote, long total);
}
