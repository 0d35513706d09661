using Davecast.Frames;
using Davecast.Grains;
using Davecast.Silo.Ingest;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Window;

/// <summary>
/// The relay's window: per encoder session, its recent frames in a ring sized to its codec. Keeps accepted frames,
/// serves slices of it (backfill for the edges, the frames of a batch), and forgets frames older than the window
/// and encoders silent for long. Callers other than <see cref="GetFrames"/> and <see cref="Trim"/> hold the mount's lock.
/// </summary>
public sealed class RelayWindow(IOptions<RelayOptions> options, MountTable mounts)
{
    private readonly RelayOptions _options = options.Value;

    /// <summary>Keeps a frame seen for the first time, with what its header said; returns how many sequences were skipped before it.</summary>
    internal long Keep(EncoderState e, ulong sequence, long timestampMicros, in CodecParameters parameters, ReadOnlySpan<byte> frame)
    {
        e.FitRing(parameters, _options.Window);
        long skipped = e.Ring.Count > 0 && sequence > e.Ring.Newest + 1 ? (long)(sequence - e.Ring.Newest - 1) : 0;
        e.Ring.Put(sequence, timestampMicros, (int)parameters.FrameDurationMicros, FrameHash.Of(frame), frame);
        return skipped;
    }

    /// <summary>Up to <paramref name="maxFrames"/> frames of an encoder session from <paramref name="fromSequence"/> on, for backfill.</summary>
    public WindowSlice GetFrames(string mount, string encoder, ulong session, ulong fromSequence, int maxFrames)
    {
        if (!mounts.TryGet(mount, out var state)) return new WindowSlice(null, 0, 0);
        lock (state.Gate)
        {
            if (!state.Encoders.TryGetValue(encoder, out var e) || e.Session != session || e.Ring.Count == 0)
                return new WindowSlice(null, 0, 0);
            return Range(mount, e, fromSequence, maxFrames);
        }
    }

    /// <summary>Forgets frames older than the window and encoders silent for long.</summary>
    internal void Trim(MountState mount, DateTimeOffset now)
    {
        long cutoff = (now - _options.Window).ToUnixTimeMilliseconds() * 1000;
        lock (mount.Gate)
        {
            List<string>? gone = null;
            foreach (var e in mount.Encoders.Values)
            {
                e.Ring.DropOlderThan(Math.Min(cutoff, LatestTimestamp(e) - (long)_options.Window.TotalMicroseconds));
                if (now - e.LastHeardAt > _options.EncoderExpiry) (gone ??= []).Add(e.Encoder);
            }
            if (gone is not null) foreach (var g in gone) mount.Encoders.Remove(g);
        }
    }

    private static long LatestTimestamp(EncoderState e) =>
        e.Ring.Count > 0 && e.Ring.TryGet(e.Ring.Newest, out _, out long ts) ? ts : long.MaxValue;

    private WindowSlice Range(string mount, EncoderState e, ulong from, int maxFrames)
    {
        ulong oldest = Math.Max(e.Ring.OldestPossible, from);
        var seqs = new List<ulong>();
        for (ulong s = oldest; s <= e.Ring.Newest && seqs.Count < maxFrames; s++)
            if (e.Ring.TryGet(s, out _, out _)) seqs.Add(s);
        ulong first = seqs.Count > 0 ? seqs[0] : 0;
        return new WindowSlice(seqs.Count == 0 ? null : Slice(mount, e, seqs), first, e.Ring.Newest);
    }

    /// <summary>The frames of these sequences the ring still holds, copied out with what was learnt of each when it was kept.</summary>
    internal FrameBatch Slice(string mount, EncoderState e, List<ulong> sequences)
    {
        int total = 0, count = 0;
        Span<ulong> seqs = sequences.Count <= 256 ? stackalloc ulong[sequences.Count] : new ulong[sequences.Count];
        foreach (var s in sequences)
        {
            if (!e.Ring.TryGet(s, out var f, out _)) continue;
            total += f.Length;
            seqs[count++] = s;
        }
        var data = new byte[total];
        var offsets = new int[count + 1];
        var sequenceArray = new ulong[count];
        var timestamps = new long[count];
        var durations = new int[count];
        var hashes = new ulong[count];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            e.Ring.TryGet(seqs[i], out var f, out timestamps[i], out durations[i], out hashes[i]);
            f.CopyTo(data.AsSpan(at));
            offsets[i] = at;
            at += f.Length;
            sequenceArray[i] = seqs[i];
        }
        offsets[count] = at;
        return new FrameBatch
        {
            Mount = mount,
            Relay = _options.Name,
            Encoder = e.Encoder,
            Session = e.Session,
            Sequences = sequenceArray,
            Timestamps = timestamps,
            Durations = durations,
            Hashes = hashes,
            Offsets = offsets,
            Data = data,
            Title = e.Title,
            TitleFrom = e.TitleFrom,
        };
    }
}
