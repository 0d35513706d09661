namespace Davecast.Silo.Window;

/// <summary>What became of a sequence number offered to a <see cref="SeenWindow"/>.</summary>
public enum SeenResult : byte
{
    /// <summary>First copy: keep it.</summary>
    New,
    /// <summary>A copy was already kept.</summary>
    Duplicate,
    /// <summary>Older than the window remembers: it cannot be told from a replay, so it is dropped.</summary>
    TooOld,
}

/// <summary>
/// Remembers which of the last <see cref="Size"/> sequence numbers were seen, so that the copies of a frame arriving
/// over several paths are kept once. A bitmap in a ring of 64-bit words; no allocation after construction.
/// </summary>
public sealed class SeenWindow
{
    private readonly ulong[] _bits;
    private readonly int _mask;
    private bool _any;

    /// <param name="size">How many sequence numbers back are remembered; rounded up to a power of two, at least 64.</param>
    public SeenWindow(int size = 8192)
    {
        int words = Math.Max(1, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(size, 64)) / 64);
        _bits = new ulong[words];
        _mask = words - 1;
    }

    public int Size => _bits.Length * 64;

    /// <summary>Highest sequence number seen so far.</summary>
    public ulong Highest { get; private set; }

    public bool Any => _any;

    /// <summary>Marks <paramref name="sequence"/> as seen and says whether it was new.</summary>
    public SeenResult Offer(ulong sequence)
    {
        if (!_any)
        {
            _any = true;
            Highest = sequence;
            Set(sequence);
            return SeenResult.New;
        }
        if (sequence > Highest)
        {
            ClearRange(Highest + 1, sequence);
            Highest = sequence;
            Set(sequence);
            return SeenResult.New;
        }
        if (Highest - sequence >= (ulong)Size) return SeenResult.TooOld;
        if (IsSet(sequence)) return SeenResult.Duplicate;
        Set(sequence);
        return SeenResult.New;
    }

    /// <summary>Whether <paramref name="sequence"/> was seen (false when outside the window).</summary>
    public bool Contains(ulong sequence) =>
        _any && sequence <= Highest && Highest - sequence < (ulong)Size && IsSet(sequence);

    public void Reset()
    {
        Array.Clear(_bits);
        _any = false;
        Highest = 0;
    }

    private void ClearRange(ulong from, ulong to)
    {
        if (to - from >= (ulong)Size)
        {
            Array.Clear(_bits);
            return;
        }
        for (ulong s = from; s <= to; s++) _bits[(int)(s >> 6) & _mask] &= ~(1UL << (int)(s & 63));
    }

    private void Set(ulong s) => _bits[(int)(s >> 6) & _mask] |= 1UL << (int)(s & 63);

    private bool IsSet(ulong s) => (_bits[(int)(s >> 6) & _mask] & (1UL << (int)(s & 63))) != 0;
}
