namespace Davecast.Edge.Splicing;

/// <summary>
/// Blocks of <see cref="BlockBytes"/> bytes that encoder tracks at this edge write their frames into and give back once
/// the splicer can no longer take those frames. A track takes and gives back about as many as it writes, so they circle
/// between tracks and never age into a collection; up to <see cref="MaxFree"/> stay here when tracks give back more
/// than they take (encoders that had drifted apart coming together again). Thread-safe: each mount splices on its own.
/// </summary>
public sealed class BlockPool
{
    /// <summary>Nine 128 kbps MP3 frames, or twenty-odd of 48 kbps AAC.</summary>
    public const int BlockBytes = 4096;

    /// <summary>Free blocks kept: 16 MiB, a hundred seconds of lag across 250 mounts of 128 kbps.</summary>
    public const int MaxFree = 4096;

    public static BlockPool Shared { get; } = new();

    private readonly Lock _gate = new();
    private readonly Stack<byte[]> _free = new();

    /// <summary>Free blocks held now.</summary>
    public int Free
    {
        get
        {
            lock (_gate) return _free.Count;
        }
    }

    public byte[] Take()
    {
        lock (_gate)
        {
            if (_free.TryPop(out var block)) return block;
        }
        return new byte[BlockBytes];
    }

    /// <summary>Takes a block back; one of another size (a frame longer than a block had its own) is left to the GC.</summary>
    public void Give(byte[] block)
    {
        if (block.Length != BlockBytes) return;
        lock (_gate)
        {
            if (_free.Count < MaxFree) _free.Push(block);
        }
    }
}
