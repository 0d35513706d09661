namespace Davecast.Tests.Support;

/// <summary>A clock that moves only when the test says, firing the timers that come due: tests of intervals then hold on a loaded machine.</summary>
public sealed class ManualClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate) return _ticks;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock on, running each timer that comes due on the caller's thread, in time order.</summary>
    public void Advance(TimeSpan by)
    {
        long end;
        lock (_gate) end = _ticks + by.Ticks;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.DueTicks <= end).MinBy(t => t.DueTicks);
                if (next is null)
                {
                    _ticks = end;
                    return;
                }
                _ticks = Math.Max(_ticks, next.DueTicks);
                next.Fired();
            }
            next.Run();
        }
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _periodTicks;

        public long DueTicks { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                clock._timers.Remove(this);
                _periodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                DueTicks = clock._ticks + dueTime.Ticks;
                clock._timers.Add(this);
                return true;
            }
        }

        // Under the clock's lock: a periodic timer comes due again, a one-shot timer is done.
        public void Fired()
        {
            clock._timers.Remove(this);
            if (_periodTicks <= 0) return;
            DueTicks += _periodTicks;
            clock._timers.Add(this);
        }

        public void Run() => callback(state);

        public void Dispose()
        {
            lock (clock._gate) clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
