namespace Davecast.Edge.Listeners;

/// <summary>
/// The listeners of one mount at this edge: admission within the mount's limit, the peak, the bytes written to them,
/// and dropping those that fall too far behind.
/// </summary>
/// <param name="limit">Listeners the mount may have at once (<c>--max-listeners-per-mount</c>); 0: no limit.</param>
public sealed class MountListeners(int limit)
{
    private readonly Lock _gate = new();
    private readonly HashSet<ListenerSession> _listeners = [];
    private long _bytes;

    /// <summary>Listeners connected now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _listeners.Count;
        }
    }

    /// <summary>The most listeners the mount has had at once.</summary>
    public int Peak { get; private set; }

    /// <summary>Audio bytes written to the listeners (bursts included).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds a listener unless the mount is full.</summary>
    public bool TryAdd(ListenerSession listener)
    {
        lock (_gate)
        {
            if (limit > 0 && _listeners.Count >= limit) return false;
            _listeners.Add(listener);
            Peak = Math.Max(Peak, _listeners.Count);
            return true;
        }
    }

    public void Remove(ListenerSession listener)
    {
        lock (_gate) _listeners.Remove(listener);
    }

    /// <summary>The listeners connected now, oldest first.</summary>
    public IReadOnlyList<ListenerSession> Snapshot()
    {
        lock (_gate) return [.. _listeners.OrderBy(l => l.Id)];
    }

    public void CountBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>
    /// Drops every listener whose queue (bytes of the stream up to <paramref name="produced"/> that it has not taken)
    /// passed <paramref name="queueLimit"/>.
    /// </summary>
    public void DropSlow(long produced, long queueLimit)
    {
        List<ListenerSession>? slow = null;
        lock (_gate)
        {
            foreach (var l in _listeners)
                if (produced - l.TakenOffset > queueLimit) (slow ??= []).Add(l);
        }
        if (slow is null) return;
        foreach (var l in slow) l.Drop(produced - l.TakenOffset);
    }

    /// <summary>Closes every listener (see <see cref="ListenerSession.Close"/>); returns how many there were.</summary>
    public int CloseAll()
    {
        ListenerSession[] all;
        lock (_gate) all = [.. _listeners];
        foreach (var l in all) l.Close();
        return all.Length;
    }
}
