namespace Davecast.Edge.Splicing;

/// <summary>
/// The bytes of an encoder track's newest frames, copied one after another into a buffer reused in a circle, so
/// that the relay batch a frame came in is garbage at once instead of living as long as the track holds the frame.
/// The buffer is sized for about <c>frames</c> frames and grows when a pass round it holds fewer. A frame's bytes
/// stay readable until the writer comes round to them again. Not thread-safe.
/// </summary>
public sealed class TrackBytes(int frames)
{
    private Buffer _buffer = new([]);
    private int _used;
    private long _position;
    private int _framesThisPass;

    /// <summary>Where a frame was put: its buffer, offset and length, and the writer's position when it was.</summary>
    public readonly record struct Place(Buffer Buffer, int Offset, int Length, long Position);

    /// <summary>A buffer, and the writer's position when it moved on to a bigger one (none while in use).</summary>
    public sealed class Buffer(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;
        public long RetiredAt { get; set; } = long.MaxValue;
    }

    /// <summary>Bytes of the buffer now written to.</summary>
    public int Capacity => _buffer.Bytes.Length;

    public Place Put(ReadOnlySpan<byte> frame)
    {
        if (_used + frame.Length > Capacity) NextPass(frame.Length);
        var place = new Place(_buffer, _used, frame.Length, _position);
        frame.CopyTo(_buffer.Bytes.AsSpan(_used));
        _used += frame.Length;
        _position += frame.Length;
        _framesThisPass++;
        return place;
    }

    /// <summary>The frame's bytes, unless the writer has since written over them.</summary>
    public bool TryRead(in Place place, out ReadOnlyMemory<byte> data)
    {
        // A frame is written over a buffer's length after it was put, unless the writer moved to a bigger buffer first.
        if (place.Buffer is not { } buffer || Math.Min(_position, buffer.RetiredAt) - place.Position > buffer.Bytes.Length)
        {
            data = default;
            return false;
        }
        data = buffer.Bytes.AsMemory(place.Offset, place.Length);
        return true;
    }

    // Back to the start of the buffer, or into one resized for the pass just ended: bigger when it held too few
    // frames (a bitrate rising), smaller when it held over twice as many (a large first frame). The old buffer's
    // frames stay readable; the rest of the buffer is skipped, which the position counts.
    private void NextPass(int length)
    {
        long want = Capacity == 0 ? (long)length * frames * 17 / 16
            : _framesThisPass < frames || _framesThisPass > 2 * frames ? (long)Capacity * frames / Math.Max(1, _framesThisPass) * 17 / 16
            : Capacity;
        want = Math.Max(want, length);
        _position += Capacity - _used;
        if (want != Capacity)
        {
            _buffer.RetiredAt = _position;
            _buffer = new Buffer(new byte[Math.Min(want, Array.MaxLength)]);
        }
        _used = 0;
        _framesThisPass = 0;
    }
}
