using Davecast.Frames;

namespace Davecast.Edge.Splicing;

/// <summary>A frame as the edge holds it: bytes, programme position and content hash (<see cref="Davecast.Frames.FrameHash"/>), all as the relay sent them.</summary>
public readonly record struct SpliceFrame(ReadOnlyMemory<byte> Data, long TimestampMicros, long DurationMicros, ulong Hash);

/// <summary>
/// Recent frames of one encoder session at an edge, by sequence number, with when each arrived and an index by
/// content hash. Holds frames already played too, for aligning encoders: what is known of the last
/// <c>capacity</c> frames, and the bytes (<see cref="FrameBytes"/>) of about the last
/// <see cref="Splicer.MaxContentLag"/>, the furthest back the splicer may take a frame from. Not thread-safe.
/// </summary>
public sealed class EncoderTrack
{
    private readonly Slot[] _slots;
    private readonly HashIndex _byHash;
    private readonly FrameBytes _bytes = new(Splicer.MaxContentLag);

    /// <summary>Frames a track knows of: the splicer's reach, and its look-back from a playhead a few seconds behind.</summary>
    public const int DefaultCapacity = Splicer.MaxContentLag + 128;

    public EncoderTrack(string name, ulong session, int capacity = DefaultCapacity)
    {
        Name = name;
        Session = session;
        _slots = new Slot[Math.Clamp(capacity, 64, HashIndex.MaxSlots)];
        _byHash = new HashIndex(_slots.Length);
    }

    public string Name { get; }
    public ulong Session { get; }
    public int Priority { get; set; }
    public bool Any { get; private set; }
    public ulong Highest { get; private set; }
    public long FirstArrival { get; private set; }
    public long LastArrival { get; private set; }
    public long Duplicates { get; private set; }
    public int Capacity => _slots.Length;

    /// <summary>Lowest sequence number the ring may still hold.</summary>
    public ulong Floor => Highest >= (ulong)_slots.Length ? Highest - (ulong)_slots.Length + 1 : 0;

    /// <summary>Bytes held for frames' contents.</summary>
    public int BytesCapacity => _bytes.Capacity;

    /// <summary>Copies a frame in; false if this frame is already held or too old to hold.</summary>
    public bool Put(ulong sequence, in SpliceFrame frame, long now)
    {
        if (Any && sequence < Floor) return false;
        int index = (int)(sequence % (ulong)_slots.Length);
        ref var slot = ref _slots[index];
        if (slot.Used && slot.Sequence == sequence)
        {
            Duplicates++;
            return false;
        }
        slot = new Slot
        {
            Sequence = sequence, Place = _bytes.Put(frame.Data.Span), Hash = frame.Hash,
            TimestampMicros = frame.TimestampMicros, DurationMicros = (int)Math.Min(frame.DurationMicros, int.MaxValue), Arrival = now,
        };
        _byHash.Set(frame.Hash, index);
        if (!Any)
        {
            Any = true;
            FirstArrival = now;
            Highest = sequence;
        }
        else if (sequence > Highest)
        {
            Highest = sequence;
        }
        LastArrival = Math.Max(LastArrival, now);
        return true;
    }

    /// <summary>The frame with this sequence number, while its bytes are held. Its bytes are valid until the next <see cref="Put"/>.</summary>
    public bool TryGet(ulong sequence, out SpliceFrame frame)
    {
        ref var slot = ref _slots[(int)(sequence % (ulong)_slots.Length)];
        if (slot.Used && slot.Sequence == sequence && _bytes.TryRead(slot.Place, out var data))
        {
            frame = new SpliceFrame(data, slot.TimestampMicros, slot.DurationMicros, slot.Hash);
            return true;
        }
        frame = default;
        return false;
    }

    public bool Has(ulong sequence) => TryGet(sequence, out _);

    /// <summary>Sequence of the frame with this content, if held.</summary>
    public bool TryFindHash(ulong hash, out ulong sequence)
    {
        if (_byHash.TryGet(hash, out int index) && _slots[index] is { Used: true } slot && slot.Hash == hash)
        {
            sequence = slot.Sequence;
            return true;
        }
        sequence = 0;
        return false;
    }

    /// <summary>The first held frame after <paramref name="sequence"/> and when it arrived.</summary>
    public bool TryFirstAfter(ulong sequence, out ulong found, out long arrival)
    {
        for (ulong s = sequence + 1; Any && s <= Highest; s++)
        {
            ref var slot = ref _slots[(int)(s % (ulong)_slots.Length)];
            if (slot.Used && slot.Sequence == s)
            {
                found = s;
                arrival = slot.Arrival;
                return true;
            }
        }
        found = 0;
        arrival = 0;
        return false;
    }

    /// <summary>The lowest held sequence number at or above <paramref name="from"/>.</summary>
    public bool TryLowestFrom(ulong from, out ulong found)
    {
        for (ulong s = Math.Max(from, Floor); Any && s <= Highest; s++)
        {
            if (Has(s))
            {
                found = s;
                return true;
            }
        }
        found = 0;
        return false;
    }

    // 48 bytes and no reference: 640 of them for each encoder an edge follows, which the GC never has to trace.
    private struct Slot
    {
        public ulong Sequence;
        public ulong Hash;
        public long TimestampMicros;
        public long Arrival;
        public FrameBytes.Place Place;
        public int DurationMicros;

        public readonly bool Used => !Place.IsEmpty;
    }
}
