namespace Davecast.Cli;

/// <summary>
/// Lets one log line through per interval for an event that can come in floods (a refused connection, a refused
/// packet), and counts the occurrences it held back, for the next line to say. Thread-safe.
/// </summary>
public sealed class LogGate(TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private long _openedAt;
    private bool _opened;
    private long _held;

    /// <summary>True when this occurrence is to be logged; <paramref name="held"/> is then how many were not since the last.</summary>
    public bool Pass(out long held)
    {
        long now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_opened && _time.GetElapsedTime(_openedAt, now) < interval)
            {
                _held++;
                held = 0;
                return false;
            }
            _opened = true;
            _openedAt = now;
            held = _held;
            _held = 0;
            return true;
        }
    }
}
