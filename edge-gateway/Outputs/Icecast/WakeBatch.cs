namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// Some of the readers one <see cref="OutputRing.Publish"/> woke, run by one thread-pool work item: each one's
/// continuation runs there in turn rather than as a work item of its own, whose queueing and dispatch cost about as
/// much as a listener's send at thousands of listeners. Batches go back to the ring's pool once run.
/// </summary>
internal sealed class WakeBatch(Stack<WakeBatch> pool) : IThreadPoolWorkItem
{
    /// <summary>Readers a batch runs: enough to spread the dispatch cost, few enough to keep both cores busy and wakes prompt.</summary>
    public const int Size = 32;

    private readonly RingWaiter[] _waiters = new RingWaiter[Size];
    private int _count;

    public bool Full => _count == Size;

    public void Add(RingWaiter waiter) => _waiters[_count++] = waiter;

    public void Execute()
    {
        for (int i = 0; i < _count; i++)
        {
            var waiter = _waiters[i];
            _waiters[i] = null!;
            waiter.WakeHere();
        }
        _count = 0;
        lock (pool) pool.Push(this);
    }
}
