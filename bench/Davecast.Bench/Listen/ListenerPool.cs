using System.Diagnostics;
using System.Net;
using Davecast.Bench.Load;

namespace Davecast.Bench.Listen;

public sealed record PoolOptions
{
    public required IPEndPoint Server { get; init; }
    public required string Mount { get; init; }
    public required int Count { get; init; }
    /// <summary>New connections per second while ramping up.</summary>
    public int RampPerSecond { get; init; } = 1000;
    /// <summary>Listeners checked frame by frame (the first ones connected).</summary>
    public int Checked { get; init; }
    public Programme? Programme { get; init; }
    /// <summary>
    /// How listeners read: <c>sweep</c> (a few threads drain every socket once per <see cref="Period"/>), <c>async</c>
    /// (each listener waits for data through epoll, then drains at most once per <see cref="Period"/>; 0: at once).
    /// </summary>
    public string Read { get; init; } = "sweep";

    public TimeSpan Period { get; init; } = TimeSpan.FromMilliseconds(100);

    public int SweepThreads { get; init; } = 1;
}

/// <summary>Many listeners of one mount on one server, connected gradually, held, then closed: the fan-out load.</summary>
public sealed class ListenerPool(PoolOptions options) : IAsyncDisposable
{
    private readonly List<Listener> _listeners = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();
    private Ticker? _ticker;
    private Sweeper? _sweeper;
    private long _bytesAtMark;
    private long _markAt;

    public IReadOnlyList<Listener> Listeners => _listeners;

    /// <summary>Connects every listener at the ramp rate; returns once all are streaming or have failed (or after <paramref name="timeout"/>).</summary>
    public async Task RampAsync(TimeSpan timeout)
    {
        if (options.Read == "sweep") _sweeper = new Sweeper(options.SweepThreads, options.Period);
        else if (options.Period > TimeSpan.Zero) _ticker = new Ticker(options.Period);
        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.Count; i++)
        {
            // Paced: listener i starts at i / rate seconds.
            var due = TimeSpan.FromSeconds((double)i / Math.Max(1, options.RampPerSecond));
            var wait = due - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            var check = i < options.Checked && options.Programme is { } p ? new FrameCheck(p) : null;
            var listener = new Listener(options.Server, options.Mount, check);
            _listeners.Add(listener);
            _running.Add(_sweeper is { } sweeper
                ? Task.Run(async () =>
                {
                    if (await listener.OpenAsync(_stop.Token)) sweeper.Add(listener);
                })
                : Task.Run(() => listener.RunAsync(_stop.Token, _ticker)));
        }
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && _listeners.Any(l => l.State == ListenerState.Connecting))
            await Task.Delay(100);
    }

    /// <summary>Starts counting bytes for <see cref="BytesPerSecondSinceMark"/>.</summary>
    public void Mark()
    {
        _bytesAtMark = _listeners.Sum(l => l.AudioBytes);
        _markAt = Stopwatch.GetTimestamp();
    }

    public double BytesPerSecondSinceMark() =>
        (_listeners.Sum(l => l.AudioBytes) - _bytesAtMark) / Math.Max(1e-9, Stopwatch.GetElapsedTime(_markAt).TotalSeconds);

    /// <summary>Sweeps that overran their period (the bench process could not keep up); 0 in async mode.</summary>
    public long LateSweeps => _sweeper?.LateSweeps ?? 0;

    public PoolReport Report(double bytesPerSecond)
    {
        var states = _listeners.GroupBy(l => l.State).ToDictionary(g => g.Key.ToString(), g => g.Count());
        var ttfb = new Histogram();
        foreach (var l in _listeners)
            if (l.TimeToFirstAudio is { } t) ttfb.Add(t.TotalMilliseconds);
        var checks = _listeners.Where(l => l.Check is not null).Select(l => l.Check!.Report()).ToList();
        return new PoolReport(
            Listeners: _listeners.Count,
            Streaming: _listeners.Count(l => l.State is ListenerState.Streaming or ListenerState.Stopped),
            Dropped: _listeners.Count(l => l.State == ListenerState.Dropped),
            Refused: _listeners.Count(l => l.State == ListenerState.Refused),
            Failed: _listeners.Count(l => l.State is ListenerState.Failed or ListenerState.Connecting),
            States: states,
            FirstError: _listeners.Select(l => l.Error).FirstOrDefault(e => e is not null),
            AudioBytes: _listeners.Sum(l => l.AudioBytes),
            BytesPerSecond: bytesPerSecond,
            TimeToFirstAudio: ttfb.Summarize(),
            CheckedListeners: checks.Count,
            Check: CheckReport.Sum(checks))
        {
            LateSweeps = LateSweeps,
            Sweeps = _sweeper?.Sweeps ?? 0,
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });
        _sweeper?.Dispose();
        _ticker?.Dispose();
        foreach (var l in _listeners) l.Close();
        _stop.Dispose();
    }
}

public sealed record PoolReport(
    int Listeners,
    int Streaming,
    int Dropped,
    int Refused,
    int Failed,
    Dictionary<string, int> States,
    string? FirstError,
    long AudioBytes,
    double BytesPerSecond,
    Histogram.Summary TimeToFirstAudio,
    int CheckedListeners,
    CheckReport Check)
{
    public long Sweeps { get; init; }
    public long LateSweeps { get; init; }
}
