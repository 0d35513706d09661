using Davecast.Frames;

namespace Davecast.Edge.Splicing;

/// <summary>
/// The bytes of an encoder track's frames, in pooled blocks (<see cref="BlockPool"/>) one after another: only the
/// frames the splicer may still take, which <see cref="ReleaseBefore"/> says, and never more than the newest
/// <c>frames</c>. An encoder on air keeps about the block it writes; one off air, the blocks from the frame aligned with
/// the programme on, which follow the lag between the encoders and come back to the pool as it shrinks. A frame is
/// found by its stream position (<see cref="FrameBytes.Place"/>, no reference); a frame that does not fit in the rest
/// of a block starts the next one, and the bytes skipped count in the position. Not thread-safe.
/// </summary>
public sealed class TrackBytes(int frames, BlockPool pool)
{
    // Where each of the newest frames starts, its stream position's low 32 bits.
    private readonly uint[] _starts = new uint[Math.Max(frames, 1)];
    // The blocks held, oldest first, in a ring.
    private Block[] _blocks = new Block[4];
    private int _head;
    private int _count;
    private int _used;
    private long _position;
    private long _puts;

    private readonly record struct Block(byte[] Bytes, long Start)
    {
        public long End => Start + Bytes.Length;
    }

    /// <summary>Blocks written since the track began: a new one is when releasing is worth a look.</summary>
    public long BlocksStarted { get; private set; }

    /// <summary>Bytes of the blocks held now.</summary>
    public long HeldBytes
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _count; i++) sum += At(i).Bytes.Length;
            return sum;
        }
    }

    public FrameBytes.Place Put(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty) return default;
        if (_count == 0 || _used + frame.Length > At(_count - 1).Bytes.Length) StartBlock(frame.Length);
        var place = new FrameBytes.Place(_position, frame.Length);
        frame.CopyTo(At(_count - 1).Bytes.AsSpan(_used));
        int n = _starts.Length;
        _starts[_puts % n] = (uint)_position;
        _used += frame.Length;
        _position += frame.Length;
        _puts++;
        // The newest frames only: the oldest of them starts where the frame put n frames ago did.
        if (_puts > n) ReleaseBefore(_position - (uint)((uint)_position - _starts[_puts % n]));
        return place;
    }

    /// <summary>The frame's bytes, unless its block has been given back.</summary>
    public bool TryRead(in FrameBytes.Place place, out ReadOnlyMemory<byte> data)
    {
        data = default;
        if (place.IsEmpty || place.Position >= _position || _count == 0 || place.Position < At(0).Start) return false;
        int lo = 0, hi = _count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (At(mid).Start <= place.Position) lo = mid;
            else hi = mid - 1;
        }
        var block = At(lo);
        if (place.Position + place.Length > block.End) return false;
        data = block.Bytes.AsMemory((int)(place.Position - block.Start), place.Length);
        return true;
    }

    /// <summary>Gives back every block that holds only frames before <paramref name="keepFrom"/>; the block written to stays.</summary>
    public void ReleaseBefore(long keepFrom)
    {
        while (_count > 1 && At(0).End <= keepFrom)
        {
            pool.Give(At(0).Bytes);
            _blocks[_head] = default;
            _head = (_head + 1) % _blocks.Length;
            _count--;
        }
    }

    // The rest of the block written to is skipped; a frame longer than a block gets one of its own length.
    private void StartBlock(int length)
    {
        if (_count > 0) _position += At(_count - 1).Bytes.Length - _used;
        if (_count == _blocks.Length) Grow();
        var bytes = length <= BlockPool.BlockBytes ? pool.Take() : new byte[length];
        _blocks[(_head + _count) % _blocks.Length] = new Block(bytes, _position);
        _count++;
        _used = 0;
        BlocksStarted++;
    }

    private void Grow()
    {
        var bigger = new Block[_blocks.Length * 2];
        for (int i = 0; i < _count; i++) bigger[i] = At(i);
        _blocks = bigger;
        _head = 0;
    }

    private Block At(int i) => _blocks[(_head + i) % _blocks.Length];
}
