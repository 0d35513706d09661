namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// A run of emitted frames' bytes in one array, with where each frame lies and its title, linked to the chunk after
/// it. Written by the <see cref="OutputRing"/>'s writer and not changed while a listener's cursor is on it (it is
/// pinned) or the ring keeps it, so listeners read it without a lock: an entry is complete before <see cref="Count"/>
/// counts it. Once neither holds it, nor any older chunk, the ring writes it again from the start.
/// </summary>
/// <param name="entries">Frames it may hold: about what the chunk before it held, so that a chunk of MP3 frames does not
/// carry room for hundreds of tiny ones.</param>
public sealed class OutputChunk(long firstIndex, long startOffset, int capacity, int entries = OutputChunk.MaxEntries)
{
    /// <summary>
    /// Bytes of a chunk: tens of frames of typical audio. A mount keeps its burst and up to a chunk and a half more, so
    /// smaller chunks keep less (4 KiB: about 6 KiB a mount less than 8 KiB, and a listener's flush is at most this
    /// much anyway, <see cref="ListenerEndpoint.FlushBytes"/>).
    /// </summary>
    public const int DefaultBytes = 4 * 1024;

    public const int MaxEntries = 256;

    private readonly byte[] _bytes = new byte[capacity];
    private Slot[] _slots = new Slot[Math.Clamp(entries, 1, MaxEntries)];
    // Titles change rarely: each frame's is the first frame's until one differs, and only then is there one a frame.
    private TitleInfo? _firstTitle;
    private TitleInfo?[]? _titles;
    private int _used;
    private long _micros;
    private int _count;
    private int _pins;
    private OutputChunk? _next;

    /// <summary>Ring index of this chunk's first frame.</summary>
    public long FirstIndex { get; private set; } = firstIndex;

    /// <summary>Stream position of this chunk's first byte.</summary>
    public long StartOffset { get; private set; } = startOffset;

    /// <summary>Whether the ring keeps it for bursts (set by the writer, under its lock).</summary>
    internal bool Retained { get; set; }

    /// <summary>Whether no listener's cursor is on it.</summary>
    internal bool Unpinned => Volatile.Read(ref _pins) == 0;

    internal void Pin() => Interlocked.Increment(ref _pins);

    internal void Unpin() => Interlocked.Decrement(ref _pins);

    /// <summary>Makes a chunk nobody reads any more the newest, empty, to be written again.</summary>
    internal void Reuse(long firstIndex, long startOffset, int entries)
    {
        FirstIndex = firstIndex;
        StartOffset = startOffset;
        int wanted = Math.Clamp(entries, 1, MaxEntries);
        if (_slots.Length < wanted || _slots.Length > 2 * wanted) _slots = new Slot[wanted];
        _used = 0;
        _micros = 0;
        _count = 0;
        _next = null;
        _firstTitle = null;
        _titles = null;
    }

    public int Capacity => _bytes.Length;

    /// <summary>Bytes and media time of the frames written so far (read by the writer).</summary>
    public int Bytes => _used;
    public long Micros => _micros;

    /// <summary>Frames it may hold.</summary>
    public int Slots => _slots.Length;

    /// <summary>Frames written so far.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The chunk written after this one, once this one is full.</summary>
    public OutputChunk? Next => Volatile.Read(ref _next);

    /// <summary>Copies a frame in; false when it does not fit (the writer then starts a new chunk).</summary>
    public bool TryAppend(ReadOnlySpan<byte> frame, long durationMicros, TitleInfo? title)
    {
        if (_count == _slots.Length || _used + frame.Length > _bytes.Length) return false;
        frame.CopyTo(_bytes.AsSpan(_used));
        SetTitle(_count, title);
        _used += frame.Length;
        _slots[_count] = new Slot(_used, (int)Math.Min(durationMicros, int.MaxValue));
        _micros += durationMicros;
        Volatile.Write(ref _count, _count + 1);
        return true;
    }

    /// <summary>Links the chunk that follows; this one takes no more frames.</summary>
    public void Close(OutputChunk next) => Volatile.Write(ref _next, next);

    public OutputFrame Read(int entry)
    {
        int start = Start(entry), end = _slots[entry].End;
        // Titles are set before the count that makes the entry readable: an array seen missing means the first title.
        var title = Volatile.Read(ref _titles) is { } titles ? titles[entry] : _firstTitle;
        return new OutputFrame(_bytes.AsMemory(start, end - start), title, StartOffset + end);
    }

    /// <summary>Length and duration of the frame at <paramref name="entry"/>.</summary>
    public (int Length, long DurationMicros) Size(int entry) => (_slots[entry].End - Start(entry), _slots[entry].Duration);

    // Frames lie one after another: each starts where the one before it ends.
    private int Start(int entry) => entry == 0 ? 0 : _slots[entry - 1].End;

    private void SetTitle(int entry, TitleInfo? title)
    {
        if (entry == 0) _firstTitle = title;
        else if (_titles is { } titles) titles[entry] = title;
        else if (!ReferenceEquals(title, _firstTitle))
        {
            var all = new TitleInfo?[_slots.Length];
            all.AsSpan(0, entry).Fill(_firstTitle);
            all[entry] = title;
            Volatile.Write(ref _titles, all);
        }
    }

    // 8 bytes a frame: where it ends in the chunk and its duration.
    private readonly record struct Slot(int End, int Duration);
}
