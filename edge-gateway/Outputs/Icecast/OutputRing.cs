namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// The frames a mount has emitted, in order, shared by all its listeners. The bytes are copied into chunks linked
/// oldest to newest; the ring itself keeps only the newest few (enough for a new listener's burst), and each
/// listener's <see cref="OutputCursor"/> pins the chunk it reads, which keeps that chunk and every newer one from
/// being written again. So a mount without listeners holds about its burst, a slow listener holds what it has still
/// to take (bounded by the queue limit, <see cref="Davecast.Edge.Listeners.MountListeners.DropSlow"/>), and no relay
/// batch outlives the splice that copied from it. A chunk nobody holds is written again, oldest first: an edge of
/// hundreds of mounts does not hand the GC megabytes a second of chunks that lived long enough to reach its oldest
/// generation. A single writer appends; any number of listeners read without taking the lock, and give their cursor
/// back with <see cref="Leave"/>.
/// </summary>
public sealed class OutputRing
{
    private const int BitrateFrames = 256;

    private readonly BurstLimit _retain;
    // Chunks held back by a listener this far behind (far past any queue limit: one that never gave its cursor back):
    // the ring lets them go to the GC, and reuses no chunk again, since that listener may still walk into any of them.
    private const int MaxHeld = 1024;
    private const int MaxSpares = 1;

    private readonly Queue<OutputChunk> _recent = new();
    private readonly Queue<OutputChunk> _held = new();
    private readonly Stack<OutputChunk> _spares = new();
    private bool _reuseStopped;
    // Each of the newest frames' stream position and media time: 16 bytes a frame, the bytes between two positions.
    private readonly (long StartOffset, long TimestampMicros)[] _bitrate = new (long, long)[BitrateFrames];
    private readonly Lock _gate = new();
    // Readers waiting for the next publish, and the list the last publish woke (reused: no allocation per publish).
    private List<RingWaiter> _waiters = [];
    private List<RingWaiter> _woken = [];
    private OutputChunk _newest;
    private long _head;
    private long _bytesOut;

    /// <param name="retain">Audio kept for listeners that start now: the burst they are given.</param>
    public OutputRing(BurstLimit retain)
    {
        _retain = retain;
        _newest = new OutputChunk(0, 0, OutputChunk.DefaultBytes) { Retained = true };
        _recent.Enqueue(_newest);
        _held.Enqueue(_newest);
        ChunksAllocated = 1;
    }

    /// <summary>Chunks this ring has allocated: it stops growing once the ring writes its old chunks again.</summary>
    public long ChunksAllocated { get; private set; }

    /// <summary>Index the next frame will get; frames are numbered from 0.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Bytes of every frame appended so far: the stream position just after the newest frame.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>The title of the newest frame (null before the first frame, or when none is known).</summary>
    public TitleInfo? Title { get; private set; }

    /// <summary>Bytes the ring itself holds on to (chunks kept for bursts), whatever listeners hold besides.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_gate) return _recent.Sum(c => (long)c.Capacity);
        }
    }

    public void Append(ReadOnlySpan<byte> frame, long timestampMicros, long durationMicros, TitleInfo? title = null)
    {
        lock (_gate)
        {
            if (!_newest.TryAppend(frame, durationMicros, title))
            {
                // Room for a few more frames than the last chunk took; a chunk that closed on its frame count gets twice.
                int entries = _newest.Count == _newest.Slots ? _newest.Slots * 2 : _newest.Count + _newest.Count / 4 + 8;
                // Old chunks first, so that the one let go is the one written next rather than a spare kept idle.
                DropUnneeded();
                Reclaim();
                var next = NewChunk(frame.Length, entries);
                next.TryAppend(frame, durationMicros, title);
                _newest.Close(next);
                _newest = next;
                _recent.Enqueue(next);
                _held.Enqueue(next);
            }
            _bitrate[_head % BitrateFrames] = (_bytesOut, timestampMicros);
            _bytesOut += frame.Length;
            Volatile.Write(ref _head, _head + 1);
            Title = title;
        }
    }

    // The oldest chunk goes once the ones after it alone hold a whole burst, by bytes or by media time.
    private void DropUnneeded()
    {
        while (_recent.Count > 1)
        {
            long bytes = 0, micros = 0;
            bool first = true;
            foreach (var chunk in _recent)
            {
                if (first)
                {
                    first = false;
                    continue;
                }
                bytes += chunk.Bytes;
                micros += chunk.Micros;
            }
            if (bytes < _retain.Bytes && micros < _retain.Micros) return;
            _recent.Dequeue().Retained = false;
        }
    }

    private OutputChunk NewChunk(int frameLength, int entries)
    {
        if (frameLength <= OutputChunk.DefaultBytes && _spares.TryPop(out var spare))
        {
            spare.Reuse(_head, _bytesOut, entries);
            spare.Retained = true;
            return spare;
        }
        ChunksAllocated++;
        return new OutputChunk(_head, _bytesOut, Math.Max(OutputChunk.DefaultBytes, frameLength), entries) { Retained = true };
    }

    // Oldest first, and only while nothing older is pinned: a listener on an older chunk will walk on into the newer
    // ones, and it pins the next chunk before it lets go of the one it leaves.
    private void Reclaim()
    {
        while (_held.TryPeek(out var oldest) && !oldest.Retained && (oldest.Unpinned || _held.Count > MaxHeld))
        {
            _held.Dequeue();
            if (!oldest.Unpinned) _reuseStopped = true;
            if (!_reuseStopped && oldest.Capacity == OutputChunk.DefaultBytes && _spares.Count < MaxSpares) _spares.Push(oldest);
        }
    }

    /// <summary>Wakes listeners waiting for frames; call after a run of appends (from the writer).</summary>
    public void Publish()
    {
        lock (_gate)
        {
            // Nobody waits (a mount without listeners): nothing to wake.
            if (_waiters.Count == 0) return;
            (_waiters, _woken) = (_woken, _waiters);
        }
        foreach (var waiter in _woken) waiter.Wake();
        _woken.Clear();
    }

    /// <summary>
    /// Completes once the frame at <paramref name="index"/> has been written and published, or the waiter has ended.
    /// It may complete early (a wake meant for an earlier wait): the reader then finds nothing new and waits again.
    /// </summary>
    public ValueTask WaitForAsync(long index, RingWaiter waiter)
    {
        var wait = waiter.Begin();
        lock (_gate)
        {
            if (_head <= index)
            {
                _waiters.Add(waiter);
                return wait;
            }
        }
        waiter.Wake();
        return wait;
    }

    /// <summary>
    /// Where a new listener starts: as far back as fits in <paramref name="limit"/>, by the frames' bytes and
    /// durations, on a frame boundary, and not before the frame numbered <paramref name="floor"/>. The cursor is
    /// pinned: give it back with <see cref="Leave"/>.
    /// </summary>
    public OutputCursor BurstStart(BurstLimit limit, long floor = 0)
    {
        lock (_gate)
        {
            var cursor = Start(limit, floor);
            cursor.Chunk.Pin();
            return cursor;
        }
    }

    private OutputCursor Start(BurstLimit limit, long floor)
    {
        var cursor = new OutputCursor(_newest, _newest.Count);
        long bytes = 0, micros = 0;
        var chunks = _recent.ToArray();
        for (int c = chunks.Length - 1; c >= 0; c--)
        {
            var chunk = chunks[c];
            for (int k = chunk.Count; k > 0; k--)
            {
                var (length, duration) = chunk.Size(k - 1);
                if (chunk.FirstIndex + k - 1 < floor || bytes + length > limit.Bytes || micros + duration > limit.Micros) return cursor;
                bytes += length;
                micros += duration;
                cursor = new OutputCursor(chunk, k - 1);
            }
        }
        return cursor;
    }

    /// <summary>Gives back a cursor from <see cref="BurstStart"/>: its listener reads no more.</summary>
    public static void Leave(ref OutputCursor cursor)
    {
        cursor.Chunk?.Unpin();
        cursor = default;
    }

    /// <summary>The frame at the cursor, moving it on; false when no newer frame has been written yet.</summary>
    public static bool TryRead(ref OutputCursor cursor, out OutputFrame frame)
    {
        var (chunk, entry) = cursor;
        while (true)
        {
            if (entry < chunk.Count)
            {
                frame = chunk.Read(entry);
                cursor = new OutputCursor(chunk, entry + 1);
                return true;
            }
            // The writer links the next chunk only after closing this one: once Next is seen, Count is final.
            if (chunk.Next is not { } next)
            {
                cursor = new OutputCursor(chunk, entry);
                frame = default;
                return false;
            }
            if (entry < chunk.Count) continue;
            next.Pin();
            chunk.Unpin();
            (chunk, entry) = (next, 0);
        }
    }

    /// <summary>
    /// Average bitrate of the newest frames (up to <paramref name="frames"/>), from their sizes and media timestamps;
    /// 0 until there are two frames. For codecs whose headers carry no bitrate (AAC in ADTS).
    /// </summary>
    public int MeasuredBitrateKbps(long frameDurationMicros, int frames = BitrateFrames)
    {
        lock (_gate)
        {
            long count = Math.Min(Math.Min(frames, _head), BitrateFrames);
            if (count < 2) return 0;
            var newest = _bitrate[(_head - 1) % BitrateFrames];
            var oldest = _bitrate[(_head - count) % BitrateFrames];
            long bytes = _bytesOut - oldest.StartOffset;
            long micros = newest.TimestampMicros - oldest.TimestampMicros + frameDurationMicros;
            return micros <= 0 ? 0 : (int)Math.Round(bytes * 8_000.0 / micros);
        }
    }
}

/// <summary>A listener's place in an <see cref="OutputRing"/>: the chunk it reads and the frame within it.</summary>
public readonly record struct OutputCursor(OutputChunk Chunk, int Entry)
{
    /// <summary>Index of the frame at the cursor, as <see cref="OutputRing.Head"/> counts them.</summary>
    public long Index => Chunk.FirstIndex + Entry;

    /// <summary>Stream position (bytes of every frame before the cursor).</summary>
    public long Offset => Entry == 0 ? Chunk.StartOffset : Chunk.Read(Entry - 1).EndOffset;
}

/// <summary>One emitted frame as a listener reads it: its bytes, its title, and the stream position after it.</summary>
public readonly record struct OutputFrame(ReadOnlyMemory<byte> Data, TitleInfo? Title, long EndOffset);
