using Davecast.Frames;

namespace Davecast.Silo.Window;

/// <summary>
/// The recent frames of one encoder session, by sequence number: slot <c>sequence % Capacity</c>. What is known of
/// each frame sits in one array of structs, and the frames' bytes one after another in a <see cref="FrameBytes"/>, so a
/// relay holding hundreds of encoders keeps a few objects each, not one per frame for the GC to trace, a frame costs
/// its own length, and storing a frame allocates nothing once the buffer fits the codec's bitrate. Not thread-safe.
/// </summary>
public sealed class FrameRing
{
    private readonly Slot[] _slots;
    private readonly FrameBytes _bytes;

    public FrameRing(int capacity = 1024)
    {
        _slots = new Slot[Math.Max(capacity, 16)];
        _bytes = new FrameBytes(_slots.Length);
    }

    public int Capacity => _slots.Length;

    public int Count { get; private set; }

    /// <summary>Newest sequence number stored (valid when <see cref="Count"/> is not 0).</summary>
    public ulong Newest { get; private set; }

    /// <summary>Stores a frame with what was learnt when it was parsed; a slot held by an older frame is taken over.</summary>
    public void Put(ulong sequence, long timestampMicros, int durationMicros, ulong hash, ReadOnlySpan<byte> frame)
    {
        int index = Index(sequence);
        ref var slot = ref _slots[index];
        if (!slot.Used) Count++;
        slot = new Slot(sequence, timestampMicros, hash, _bytes.Put(frame), durationMicros);
        if (Count == 1 || sequence > Newest) Newest = sequence;
    }

    /// <summary>The frame with this sequence number, if the ring still holds it.</summary>
    public bool TryGet(ulong sequence, out ReadOnlySpan<byte> frame, out long timestampMicros) =>
        TryGet(sequence, out frame, out timestampMicros, out _, out _);

    /// <summary>The frame with this sequence number, with its duration and content hash, if the ring still holds it.</summary>
    public bool TryGet(ulong sequence, out ReadOnlySpan<byte> frame, out long timestampMicros, out int durationMicros, out ulong hash)
    {
        int index = Index(sequence);
        ref readonly var slot = ref _slots[index];
        if (slot.Used && slot.Sequence == sequence && _bytes.TryRead(slot.Place, out var data))
        {
            frame = data.Span;
            timestampMicros = slot.Timestamp;
            durationMicros = slot.Duration;
            hash = slot.Hash;
            return true;
        }
        frame = default;
        timestampMicros = 0;
        durationMicros = 0;
        hash = 0;
        return false;
    }

    /// <summary>Oldest sequence number that may still be held: the ring spans at most its capacity below the newest.</summary>
    public ulong OldestPossible => Count == 0 ? 0 : Newest >= (ulong)(_slots.Length - 1) ? Newest - (ulong)(_slots.Length - 1) : 0;

    /// <summary>Forgets frames stamped before <paramref name="timestampMicros"/>.</summary>
    public void DropOlderThan(long timestampMicros)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            ref var slot = ref _slots[i];
            if (slot.Used && slot.Timestamp < timestampMicros)
            {
                slot = default;
                Count--;
            }
        }
    }

    private int Index(ulong sequence) => (int)(sequence % (ulong)_slots.Length);

    // 40 bytes and no reference, for the GC to skip.
    private readonly record struct Slot(ulong Sequence, long Timestamp, ulong Hash, FrameBytes.Place Place, int Duration)
    {
        public bool Used => !Place.IsEmpty;
    }
}
