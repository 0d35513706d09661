using System.Threading.Tasks.Sources;

namespace Davecast.Publisher.Pacing;

/// <summary>
/// A wait of a given length, reused from one wait to the next: one timer and one completion source for the life of
/// the pacer, where <see cref="Task.Delay(TimeSpan, CancellationToken)"/> would allocate a promise, a timer and a
/// cancellation node for every frame. One wait at a time: the previous one must have been awaited.
/// </summary>
internal sealed class DeadlineWait : IValueTaskSource
{
    // Continuations go to the thread pool: neither the timer thread nor whoever cancels runs the frame pump.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private readonly Timer _timer;
    private CancellationTokenRegistration _cancellation;
    private CancellationToken _token;
    private int _pending;

    public DeadlineWait() =>
        _timer = new Timer(static state => ((DeadlineWait)state!).Complete(cancelled: false), this, Timeout.Infinite, Timeout.Infinite);

    /// <summary>Completes after <paramref name="delay"/>, or faults with <see cref="OperationCanceledException"/> when the token fires first.</summary>
    public ValueTask WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        // The last wait's registration, if its timer won; disposing an unregistered one costs nothing.
        _cancellation.Dispose();
        _core.Reset();
        _token = cancellationToken;
        Volatile.Write(ref _pending, 1);
        // Registration nodes are reused by the token's source: no allocation once the first wait has registered.
        _cancellation = cancellationToken.UnsafeRegister(static state => ((DeadlineWait)state!).Complete(cancelled: true), this);
        _timer.Change(delay, Timeout.InfiniteTimeSpan);
        return new ValueTask(this, _core.Version);
    }

    private void Complete(bool cancelled)
    {
        // The timer and the token race; the first one completes the wait.
        if (Interlocked.Exchange(ref _pending, 0) == 0) return;
        if (cancelled)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            _core.SetException(new OperationCanceledException(_token));
        }
        else
        {
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
