using System.Runtime.InteropServices;

namespace Davecast.Frames;

/// <summary>
/// The bytes of an encoder's newest frames, copied one after another into a buffer reused in a circle: a relay's
/// window holds one, so that the packet a frame came in is garbage at once (an edge's track, which needs only the
/// frames the splicer may still take, holds its bytes in pooled blocks instead: TrackBytes), and a frame costs its own length, not a slot sized for the largest frame. The newest <c>frames</c> frames
/// are always readable: a frame that would write over one of them moves the writer to a bigger buffer first (a
/// bitrate rising, silence turning into music), and the old buffer, written no more, stays readable while it holds
/// one of them. The first buffer is sized from the first frame and a sixty-fourth more, a bigger one to the bytes those
/// frames span and a sixteenth more, and it shrinks when a pass round it holds over twice as many. A frame is found by
/// its stream position alone (<see cref="Place"/> holds no reference), so the slots that keep places are plain data the
/// GC does not trace. Not thread-safe.
/// </summary>
public sealed class FrameBytes
{
    // Where each of the newest frames starts, its stream position's low 32 bits: the newest frames span far less than 4 GiB.
    private readonly uint[] _starts;
    private readonly List<Retired> _retired = [];
    private byte[] _buffer = [];
    private int _used;
    private long _position;
    private long _bufferStart;
    private long _puts;
    private int _framesThisPass;

    public FrameBytes(int frames)
    {
        _starts = new uint[Math.Max(frames, 1)];
    }

    /// <summary>
    /// Where a frame was put: the writer's stream position then, and the frame's length (0: nothing was put). Packed
    /// to 12 bytes, so that a slot holding it with a sequence number, hash and times stays at 48.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public readonly record struct Place(long Position, int Length)
    {
        public bool IsEmpty => Length == 0;
    }

    // A buffer the writer has left: the stream positions it covered.
    private readonly record struct Retired(byte[] Bytes, long Start, long End);

    /// <summary>Bytes of the buffer now written to.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Buffers left by the writer and still readable (a bitrate change just happened).</summary>
    public int RetiredBuffers => _retired.Count;

    public Place Put(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty) return default;
        if (_used + frame.Length > Capacity) NextPass();
        // The oldest frame that must stay readable once this one is in (the frames-1 put before it), if it is in
        // this buffer: frames in a retired buffer are never written over.
        int frames = _starts.Length;
        long oldest = Position(_puts >= frames - 1 ? _starts[(_puts - (frames - 1)) % frames] : _starts[0]);
        // The first buffer: the first frame's length for each, and a sixty-fourth more, which a constant bitrate's frames
        // (a padding byte apart) stay within; frames that outgrow it move the writer on with a sixteenth more.
        if (Capacity == 0) MoveTo((long)frame.Length * frames * 65 / 64);
        else if (_position + frame.Length - Math.Max(oldest, _bufferStart) > Capacity) MoveTo((_position + frame.Length - oldest) * 17 / 16);

        var place = new Place(_position, frame.Length);
        frame.CopyTo(_buffer.AsSpan(_used));
        _starts[_puts % frames] = (uint)_position;
        _used += frame.Length;
        _position += frame.Length;
        _framesThisPass++;
        _puts++;
        // A retired buffer goes once the newest frames all lie after it.
        while (_retired.Count > 0 && _retired[0].End <= oldest) _retired.RemoveAt(0);
        return place;
    }

    // The full stream position of a recent frame's start from its low 32 bits.
    private long Position(uint low) => _position - (uint)((uint)_position - low);

    /// <summary>The frame's bytes, unless the writer has since written over them.</summary>
    public bool TryRead(in Place place, out ReadOnlyMemory<byte> data)
    {
        data = default;
        if (place.IsEmpty || place.Position >= _position) return false;
        byte[] bytes;
        long start, end;
        if (place.Position >= _bufferStart)
        {
            (bytes, start, end) = (_buffer, _bufferStart, _position);
        }
        else
        {
            int i = _retired.Count - 1;
            while (i >= 0 && _retired[i].Start > place.Position) i--;
            if (i < 0) return false;
            (bytes, start, end) = _retired[i];
        }
        // A frame is written over a buffer's length after it was put, unless the writer moved to another buffer first.
        if (end - place.Position > bytes.Length) return false;
        // Each pass round a buffer spans exactly its length of stream positions (the end it skips is counted).
        data = bytes.AsMemory((int)((place.Position - start) % bytes.Length), place.Length);
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
        if (_buffer.Length > 0) _retired.Add(new Retired(_buffer, _bufferStart, _position));
        _buffer = new byte[Math.Clamp(size, 1, Array.MaxLength)];
        _bufferStart = _position;
        _used = 0;
        _framesThisPass = 0;
    }
}
