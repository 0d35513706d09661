namespace Davecast.Merge;

/// <summary>
/// Puts the copies of one encoder's frames, arriving from several relays in any order, back into sequence order,
/// keeping each frame once. A missing frame is waited for until a later one has waited <c>hold</c>; then it is
/// given up as a gap. A copy of a frame that was already emitted or given up is late, and dropped. Not thread-safe.
/// </summary>
public sealed class Reorderer<T>
{
    private readonly SortedDictionary<ulong, Entry> _pending = [];
    private bool _started;

    /// <summary>Sequence number of the next frame to emit.</summary>
    public ulong Next { get; private set; }

    public bool Started => _started;

    public int PendingCount => _pending.Count;

    public long Duplicates { get; private set; }

    public long Late { get; private set; }

    public long GapFrames { get; private set; }

    /// <summary>Offers one copy of a frame arrived at <paramref name="now"/> (any monotonic clock in ticks).</summary>
    /// <returns>True if it is kept, false if it was a duplicate or late.</returns>
    public bool Offer(ulong sequence, T frame, long now)
    {
        if (_started && sequence < Next)
        {
            Late++;
            return false;
        }
        if (!_pending.TryAdd(sequence, new Entry(frame, now)))
        {
            Duplicates++;
            return false;
        }
        return true;
    }

    /// <summary>Starts emitting at <paramref name="sequence"/>; earlier pending frames are dropped.</summary>
    public void StartAt(ulong sequence)
    {
        _started = true;
        Next = sequence;
        while (_pending.Count > 0 && First().Key < sequence) _pending.Remove(First().Key);
    }

    /// <summary>
    /// Drops pending frames until one satisfies <paramref name="predicate"/> and starts there.
    /// Returns false (and stays as it was, less the dropped frames) if none does.
    /// </summary>
    public bool StartAtFirst(Func<T, bool> predicate)
    {
        while (_pending.Count > 0)
        {
            var first = First();
            if (predicate(first.Value.Frame))
            {
                StartAt(first.Key);
                return true;
            }
            _pending.Remove(first.Key);
        }
        return false;
    }

    /// <summary>Keeps at most <paramref name="maxPending"/> frames waiting, dropping the oldest.</summary>
    public void Trim(int maxPending)
    {
        while (_pending.Count > maxPending)
        {
            var first = First();
            _pending.Remove(first.Key);
            if (_started && first.Key >= Next) Next = first.Key + 1;
        }
    }

    /// <summary>The lowest pending sequence number and when it arrived.</summary>
    public bool TryPeekFirst(out ulong sequence, out long arrivedAt)
    {
        if (_pending.Count == 0)
        {
            sequence = 0;
            arrivedAt = 0;
            return false;
        }
        var first = First();
        sequence = first.Key;
        arrivedAt = first.Value.ArrivedAt;
        return true;
    }

    /// <summary>
    /// Takes the next frame in order. When the next one is missing and the first pending frame after it arrived
    /// at least <paramref name="hold"/> ago, the missing ones are counted as a gap and skipped.
    /// </summary>
    public bool TryTake(long now, long hold, out ulong sequence, out T frame)
    {
        sequence = 0;
        frame = default!;
        if (!_started || _pending.Count == 0) return false;
        var first = First();
        if (first.Key != Next)
        {
            if (now - first.Value.ArrivedAt < hold) return false;
            GapFrames += (long)(first.Key - Next);
        }
        _pending.Remove(first.Key);
        sequence = first.Key;
        frame = first.Value.Frame;
        Next = first.Key + 1;
        return true;
    }

    private KeyValuePair<ulong, Entry> First()
    {
        using var e = _pending.GetEnumerator();
        e.MoveNext();
        return e.Current;
    }

    private readonly record struct Entry(T Frame, long ArrivedAt);
}
