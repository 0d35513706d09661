using System.Numerics;

namespace Davecast.Edge.Splicing;

/// <summary>
/// Which slot of an <see cref="EncoderTrack"/> last held a frame with a given content hash: one 2-byte entry per
/// bucket, twice as many buckets as slots, where a dictionary took 28 bytes an entry. It may forget: a newer frame whose
/// hash falls in the same bucket takes it, and a slot since reused holds another hash, so the caller checks the slot.
/// Alignment by content tries hundreds of frames and needs only a few to be found. Not thread-safe.
/// </summary>
public sealed class HashIndex
{
    /// <summary>Most slots an index can name.</summary>
    public const int MaxSlots = ushort.MaxValue - 1;

    private readonly ushort[] _buckets;
    private readonly int _mask;

    public HashIndex(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, MaxSlots);
        _buckets = new ushort[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(slots, 1) * 2)];
        _mask = _buckets.Length - 1;
    }

    public void Set(ulong hash, int slot) => _buckets[Bucket(hash)] = (ushort)(slot + 1);

    /// <summary>The slot last set for a hash in this bucket, if any: check that it still holds this hash.</summary>
    public bool TryGet(ulong hash, out int slot)
    {
        slot = _buckets[Bucket(hash)] - 1;
        return slot >= 0;
    }

    // Mixed first, so that hashes differing only in their high bits still spread over the buckets.
    private int Bucket(ulong hash) => (int)((hash * 0x9E3779B97F4A7C15UL) >> 40) & _mask;
}
