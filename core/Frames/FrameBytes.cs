namespace Davecast.Frames;

/// <summary>
/// The bytes of an encoder's newest frames, copied one after another into a buffer reused in a circle: a relay's
/// window and an edge's encoder track each hold one, so that the packet or relay batch a frame came in is garbage at
/// once, and a frame costs its own length, not a slot sized for the largest frame. The newest <c>frames</c> frames
/// are always readable: a frame that would write over one of them moves the writer to a bigger buffer first (a
/// bitrate rising, silence turning into music), and the old buffer, written no more, stays readable. The buffer is
/// sized to the bytes those frames span and a sixteenth more, and shrinks when a pass round it holds over twice as
/// many. Not thread-safe.
/// </summary>
public sealed class FrameBytes
{
    private readonly long[] _starts;
    private Buffer _buffer = new([]);
    private int _used;
    private long _position;
    private long _bufferStart;
    private long _puts;
    private int _framesThisPass;

    public FrameBytes(int frames)
    {
        _starts = new long[Math.Max(frames, 1)];
    }

    /// <summary>Where a frame was put: its buffer, offset and length, and the writer's position when it was.</summary>
    public readonly record struct Place(Buffer Buffer, int Offset, int Length, long Position);

    /// <summary>A buffer, and the writer's position when it moved on to another (none while in use).</summary>
    public sealed class Buffer(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;
        public long RetiredAt { get; set; } = long.MaxValue;
    }

    /// <summary>Bytes of the buffer now written to.</summary>
    public int Capacity => _buffer.Bytes.Length;

    public Place Put(ReadOnlySpan<byte> frame)
    {
        if (_used + frame.Length > Capacity) NextPass();
        // The oldest frame that must stay readable once this one is in (the frames-1 put before it), if it is in
        // this buffer: frames in a retired buffer are never written over.
        int frames = _starts.Length;
        long oldest = _puts >= frames - 1 ? _starts[(_puts - (frames - 1)) % frames] : _starts[0];
        if (Capacity == 0) MoveTo((long)frame.Length * frames * 17 / 16);
        else if (_position + frame.Length - Math.Max(oldest, _bufferStart) > Capacity) MoveTo((_position + frame.Length - oldest) * 17 / 16);

        var place = new Place(_buffer, _used, frame.Length, _position);
        frame.CopyTo(_buffer.Bytes.AsSpan(_used));
        _starts[_puts % frames] = _position;
        _used += frame.Length;
        _position += frame.Length;
        _framesThisPass++;
        _puts++;
        return place;
    }

    /// <summary>The frame's bytes, unless the writer has since written over them.</summary>
    public bool TryRead(in Place place, out ReadOnlyMemory<byte> data)
    {
        // A frame is written over a buffer's length after it was put, unless the writer moved to another buffer first.
        if (place.Buffer is not { } buffer || Math.Min(_position, buffer.RetiredAt) - place.Position > buffer.Bytes.Length)
        {
            data = default;
            return false;
        }
        data = buffer.Bytes.AsMemory(place.Offset, place.Length);
        return true;
    }

    // Back to the start of the buffer; the rest of it is skipped, which the position counts. A pass that held over
    // twice the frames needed (a large first frame, a bitrate falling) moves to a smaller buffer.
    private void NextPass()
    {
        _position += Capacity - _used;
        _used = 0;
        if (_framesThisPass > 2 * _starts.Length) MoveTo((long)Capacity * _starts.Length / _framesThisPass * 17 / 16);
        _framesThisPass = 0;
    }

    private void MoveTo(long size)
    {
        _buffer.RetiredAt = _position;
        _buffer = new Buffer(new byte[Math.Clamp(size, 1, Array.MaxLength)]);
        _bufferStart = _position;
        _used = 0;
        _framesThisPass = 0;
    }
}
