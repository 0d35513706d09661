namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// The frames a mount has emitted, in order, shared by all its listeners: each listener keeps only its position.
/// A single writer appends; any number of listeners read and wait for more.
/// </summary>
public sealed class OutputRing
{
    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly Lock _gate = new();
    private TaskCompletionSource _more = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _head;
    private bool _awaited;

    public OutputRing(int capacity = 8192)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _entries = new Entry[size];
        _mask = size - 1;
    }

    /// <summary>Index the next frame will get; frames are numbered from 0.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Oldest index still held.</summary>
    public long Tail => Math.Max(0, Head - _entries.Length);

    private long _bytesOut;

    /// <summary>Bytes of every frame appended so far: the stream position just after the newest frame.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>The title of the newest frame (null before the first frame, or when none is known).</summary>
    public TitleInfo? Title { get; private set; }

    public void Append(ReadOnlyMemory<byte> frame, ulong sequence, long timestampMicros, long durationMicros, TitleInfo? title = null)
    {
        lock (_gate)
        {
            long end = _bytesOut + frame.Length;
            _entries[_head & _mask] = new Entry(frame, sequence, timestampMicros, durationMicros, title, end);
            Volatile.Write(ref _head, _head + 1);
            Volatile.Write(ref _bytesOut, end);
            Title = title;
        }
    }

    /// <summary>Wakes listeners waiting for frames; call after a run of appends.</summary>
    public void Publish()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            // Nobody waits (a mount without listeners): nothing to wake, and no new task to allocate.
            if (!_awaited) return;
            _awaited = false;
            old = _more;
            _more = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }

    /// <summary>Completes once the frame at <paramref name="index"/> has been written.</summary>
    public Task WaitForAsync(long index)
    {
        lock (_gate)
        {
            if (_head > index) return Task.CompletedTask;
            _awaited = true;
            return _more.Task;
        }
    }

    /// <summary>The frame at <paramref name="index"/>, unless it has been overwritten or not written yet.</summary>
    public bool TryGet(long index, out Entry entry)
    {
        entry = default;
        if (index < 0) return false;
        lock (_gate)
        {
            if (index >= _head || index < _head - _entries.Length) return false;
            entry = _entries[index & _mask];
            return true;
        }
    }

    /// <summary>
    /// The index to start a new listener at: as far back as fits in <paramref name="limit"/>, by the frames' bytes and
    /// durations, and not before <paramref name="floor"/>.
    /// </summary>
    public long BurstStart(BurstLimit limit, long floor = 0)
    {
        lock (_gate)
        {
            long i = _head, tail = Math.Max(floor, Math.Max(0, _head - _entries.Length + 1));
            long bytes = 0, micros = 0;
            while (i > tail)
            {
                ref readonly var before = ref _entries[(i - 1) & _mask];
                if (bytes + before.Frame.Length > limit.Bytes || micros + before.DurationMicros > limit.Micros) break;
                bytes += before.Frame.Length;
                micros += before.DurationMicros;
                i--;
            }
            return i;
        }
    }

    /// <summary>
    /// Average bitrate of the newest frames (up to <paramref name="frames"/>), from their sizes and media timestamps;
    /// 0 until there are two frames. For codecs whose headers carry no bitrate (AAC in ADTS).
    /// </summary>
    public int MeasuredBitrateKbps(long frameDurationMicros, int frames = 256)
    {
        lock (_gate)
        {
            long count = Math.Min(Math.Min(frames, _head), _entries.Length);
            if (count < 2) return 0;
            var newest = _entries[(_head - 1) & _mask];
            var oldest = _entries[(_head - count) & _mask];
            long bytes = newest.EndOffset - oldest.EndOffset + oldest.Frame.Length;
            long micros = newest.TimestampMicros - oldest.TimestampMicros + frameDurationMicros;
            return micros <= 0 ? 0 : (int)Math.Round(bytes * 8_000.0 / micros);
        }
    }

    /// <summary>The stream position (in bytes) where the frame at <paramref name="index"/> starts; the newest position if it is not held.</summary>
    public long StartOffset(long index)
    {
        lock (_gate)
        {
            if (index >= _head || index < _head - _entries.Length || index < 0) return _bytesOut;
            var e = _entries[index & _mask];
            return e.EndOffset - e.Frame.Length;
        }
    }

    /// <param name="EndOffset">Stream position just after this frame: bytes of every frame up to and including it.</param>
    public readonly record struct Entry(ReadOnlyMemory<byte> Frame, ulong Sequence, long TimestampMicros, long DurationMicros, TitleInfo? Title, long EndOffset);
}
