namespace Davecast.Silo.Window;

/// <summary>
/// The recent frames of one encoder session, by sequence number: a ring of slots whose byte buffers are reused,
/// so storing a frame allocates nothing once the ring has warmed up. Not thread-safe.
/// </summary>
public sealed class FrameRing
{
    private readonly Slot[] _slots;
    private readonly int _mask;

    public FrameRing(int capacity = 1024)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 16));
        _slots = new Slot[size];
        _mask = size - 1;
        for (int i = 0; i < size; i++) _slots[i] = new Slot();
    }

    public int Capacity => _slots.Length;

    public int Count { get; private set; }

    /// <summary>Newest sequence number stored (valid when <see cref="Count"/> is not 0).</summary>
    public ulong Newest { get; private set; }

    /// <summary>Stores a frame with what was learnt when it was parsed; a slot held by an older frame is taken over.</summary>
    public void Put(ulong sequence, long timestampMicros, int durationMicros, ulong hash, ReadOnlySpan<byte> frame)
    {
        var slot = _slots[(int)(sequence & (ulong)_mask)];
        if (!slot.Used) Count++;
        // Rounded up, so that slightly larger frames (MPEG padding, AAC's varying sizes) seldom need a new buffer.
        if (slot.Data.Length < frame.Length) slot.Data = new byte[(frame.Length + 63) & ~63];
        frame.CopyTo(slot.Data);
        slot.Length = frame.Length;
        slot.Sequence = sequence;
        slot.Timestamp = timestampMicros;
        slot.Duration = durationMicros;
        slot.Hash = hash;
        slot.Used = true;
        if (Count == 1 || sequence > Newest) Newest = sequence;
    }

    /// <summary>The frame with this sequence number, if the ring still holds it.</summary>
    public bool TryGet(ulong sequence, out ReadOnlySpan<byte> frame, out long timestampMicros)
    {
        var slot = _slots[(int)(sequence & (ulong)_mask)];
        if (slot.Used && slot.Sequence == sequence)
        {
            frame = slot.Data.AsSpan(0, slot.Length);
            timestampMicros = slot.Timestamp;
            return true;
        }
        frame = default;
        timestampMicros = 0;
        return false;
    }

    /// <summary>The frame with this sequence number, with its duration and content hash, if the ring still holds it.</summary>
    public bool TryGet(ulong sequence, out ReadOnlySpan<byte> frame, out long timestampMicros, out int durationMicros, out ulong hash)
    {
        var slot = _slots[(int)(sequence & (ulong)_mask)];
        bool found = TryGet(sequence, out frame, out timestampMicros);
        durationMicros = found ? slot.Duration : 0;
        hash = found ? slot.Hash : 0;
        return found;
    }

    /// <summary>Oldest sequence number that may still be held: the ring spans at most its capacity below the newest.</summary>
    public ulong OldestPossible => Count == 0 ? 0 : Newest >= (ulong)(_slots.Length - 1) ? Newest - (ulong)(_slots.Length - 1) : 0;

    /// <summary>Forgets frames stamped before <paramref name="timestampMicros"/>.</summary>
    public void DropOlderThan(long timestampMicros)
    {
        foreach (var slot in _slots)
        {
            if (slot.Used && slot.Timestamp < timestampMicros)
            {
                slot.Used = false;
                Count--;
            }
        }
    }

    private sealed class Slot
    {
        public byte[] Data = [];
        public int Length;
        public ulong Sequence;
        public long Timestamp;
        public int Duration;
        public ulong Hash;
        public bool Used;
    }
}
