using Davecast.Frames;

namespace Davecast.Edge.Splicing;

/// <summary>A frame as the edge holds it: bytes, programme position and content hash (<see cref="Davecast.Frames.FrameHash"/>), all as the relay sent them.</summary>
public readonly record struct SpliceFrame(ReadOnlyMemory<byte> Data, long TimestampMicros, long DurationMicros, ulong Hash);

/// <summary>
/// Recent frames of one encoder session at an edge, by sequence number, with when each arrived and an index by
/// content hash. Knows frames already played too, for aligning encoders: their hashes and times for the last
/// <c>capacity</c> frames. Holds the bytes (<see cref="TrackBytes"/>) only of the frames the splicer may still take
/// (<see cref="ReleaseBefore"/>), never of more than the last <see cref="Splicer.MaxContentLag"/>, the furthest back
/// the splicer may take a frame from. Not thread-safe.
/// </summary>
public sealed class EncoderTrack
{
    private readonly Slot[] _slots;
    private readonly HashIndex _byHash;
    private readonly TrackBytes _bytes;
    private long _releasedAtBlock = -1;

    /// <summary>Frames a track knows of: the splicer's reach, and its look-back from a playhead a few seconds behind.</summary>
    public const int DefaultCapacity = Splicer.MaxContentLag + 128;

    public EncoderTrack(string name, ulong session, int capacity = DefaultCapacity, BlockPool? pool = null)
    {
        _bytes = new TrackBytes(Splicer.MaxContentLag, pool ?? BlockPool.Shared);
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
    public long HeldBytes => _bytes.HeldBytes;

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

    /// <summary>Whether the frame's bytes are held: it can be played.</summary>
    public bool Has(ulong sequence) => TryGet(sequence, out _);

    /// <summary>
    /// What is known of the frame (its times and hash; no bytes) while the track knows it, played or not: what
    /// aligning encoders and telling duplicates need.
    /// </summary>
    public bool TryGetInfo(ulong sequence, out SpliceFrame frame)
    {
        ref var slot = ref _slots[(int)(sequence % (ulong)_slots.Length)];
        if (slot.Used && slot.Sequence == sequence)
        {
            frame = new SpliceFrame(default, slot.TimestampMicros, slot.DurationMicros, slot.Hash);
            return true;
        }
        frame = default;
        return false;
    }

    public bool Knows(ulong sequence) => TryGetInfo(sequence, out _);

    /// <summary>Whether <see cref="ReleaseBefore"/> would look: a block was started since it last did.</summary>
    public bool ReleaseDue => Any && _bytes.BlocksStarted != _releasedAtBlock;

    /// <summary>
    /// Lets go of the bytes of frames before <paramref name="sequence"/>, which the splicer will not take again. Looks
    /// once per block written: frames can arrive out of order, so what is kept starts at the earliest-put frame from
    /// <paramref name="sequence"/> on.
    /// </summary>
    public void ReleaseBefore(ulong sequence)
    {
        if (!ReleaseDue) return;
        _releasedAtBlock = _bytes.BlocksStarted;
        long keep = long.MaxValue;
        for (ulong s = Math.Max(sequence, Floor); s <= Highest; s++)
        {
            ref var slot = ref _slots[(int)(s % (ulong)_slots.Length)];
            if (slot.Used && slot.Sequence == s && slot.Place.Position < keep) keep = slot.Place.Position;
        }
        _bytes.ReleaseBefore(keep);
    }

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
