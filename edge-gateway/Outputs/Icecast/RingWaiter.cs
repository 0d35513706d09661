using System.Threading.Tasks.Sources;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// A reader of an <see cref="OutputRing"/> waiting for frames: woken by the ring's <see cref="OutputRing.Publish"/>, or
/// at once by its <see cref="End"/>. One wait at a time, reused: a listener holds no task, cancellation registration or
/// promise while it waits, which at thousands of listeners is most of what a waiting listener would cost.
/// </summary>
public class RingWaiter : IValueTaskSource
{
    // Continuations go to the thread pool: the ring's writer does not run every listener's write itself.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _waiting;
    private int _ended;

    /// <summary>Whether <see cref="End"/> was called: the reader reads no more.</summary>
    public bool Ended => Volatile.Read(ref _ended) == 1;

    /// <summary>Ends the reader's waits, now and to come.</summary>
    protected void End()
    {
        // A full fence: whoever starts a wait or attaches an output next sees it.
        Interlocked.Exchange(ref _ended, 1);
        Wake();
    }

    /// <summary>Starts a wait (the previous one must have been awaited): see <see cref="OutputRing.WaitForAsync"/>.</summary>
    internal ValueTask Begin()
    {
        _core.Reset();
        // A full fence: the check of Ended below is not read before the wait shows.
        Interlocked.Exchange(ref _waiting, 1);
        // Ended before the wait began: the End call's wake found nothing to wake.
        if (Ended) Wake();
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Completes the current wait, if any; a wake with no wait outstanding does nothing.</summary>
    internal void Wake()
    {
        if (Interlocked.CompareExchange(ref _waiting, 0, 1) == 1) _core.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
