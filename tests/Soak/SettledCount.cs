namespace Davecast.Tests.Soak;

/// <summary>
/// A count read at intervals (a process's threads), reported as the least of the readings over the last
/// <paramref name="window"/>: what the process holds at rest. A thread pool starts workers for a burst and retires them
/// after 20 s idle, and the JIT's tiering worker comes and goes; a single reading taken during either counts threads
/// that are gone a minute later. A thread that never ends is in every reading, so growth still shows in the least.
/// </summary>
public sealed class SettledCount(TimeSpan window)
{
    private readonly Queue<(DateTime At, int Count)> _readings = new();

    public TimeSpan Window => window;

    /// <summary>A reading at <paramref name="at"/>; readings older than the window before it are dropped.</summary>
    public void Add(DateTime at, int count)
    {
        _readings.Enqueue((at, count));
        while (_readings.Peek().At < at - window) _readings.Dequeue();
    }

    /// <summary>The least reading within the window before <paramref name="now"/>; null if there is none.</summary>
    public int? Least(DateTime now)
    {
        int? least = null;
        foreach (var (at, count) in _readings)
            if (at >= now - window && (least is null || count < least)) least = count;
        return least;
    }
}
