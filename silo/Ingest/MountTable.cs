using System.Collections.Concurrent;
using System.Text;
using Davecast.Frames;
using Davecast.Grains;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>
/// The relay's frame store: per mount, per encoder session, a deduplicated window of recent frames and the
/// frames accepted since the last batch. Fed by the ingest listeners, drained by <see cref="RelayPump"/>.
/// </summary>
public sealed class MountTable(IOptions<RelayOptions> options, IngestCounters counters, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, MountState> _mounts = new(StringComparer.Ordinal);
    private readonly RelayOptions _options = options.Value;

    public string RelayName => _options.Name;

    internal IEnumerable<MountState> Mounts => _mounts.Values;

    public int MountCount => _mounts.Count;

    /// <summary>Takes one verified packet. Returns why it was refused, or None.</summary>
    public RejectReason Accept(in PacketView packet)
    {
        var state = GetOrAddMount(packet.Mount);
        if (state is null) return RejectReason.BadField;
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            state.LastPacketAt = now;
            var encoder = GetEncoder(state, packet.Encoder, packet.Session);
            if (encoder is null) return RejectReason.Replay;
            if (!encoder.Replays.Offer(packet.PathId, packet.Type, packet.Sequence)) return RejectReason.Replay;
            encoder.LastHeardAt = now;
            return packet.Type switch
            {
                PacketType.Audio => AcceptAudio(encoder, packet, now),
                PacketType.Announce => AcceptAnnounce(encoder, packet),
                PacketType.Metadata => AcceptTitle(encoder, packet),
                PacketType.Heartbeat => Heartbeat.TryRead(packet.Payload, out _) ? RejectReason.None : RejectReason.BadLength,
                _ => RejectReason.BadType,
            };
        }
    }

    private RejectReason AcceptAudio(EncoderState encoder, in PacketView packet, DateTimeOffset now)
    {
        var format = encoder.Format;
        // Validate every frame before keeping any: a packet is taken whole or not at all.
        long timestamp;
        foreach (var frame in packet.Frames)
        {
            if (!IsWholeFrame(ref format, frame)) return RejectReason.BadFrame;
        }
        encoder.Format ??= format;
        if (encoder.RefusedReason is not null) return RejectReason.None;

        ulong sequence = packet.Sequence;
        long samples = 0;
        foreach (var frame in packet.Frames)
        {
            format!.TryParseHeader(frame, out _, out var p);
            encoder.FitRing(p, _options.Window);
            // Later frames of a packet: the first frame's time plus the exact samples before them.
            timestamp = packet.TimestampMicros + (p.SampleRate == 0 ? 0 : samples * 1_000_000 / p.SampleRate);
            switch (encoder.Seen.Offer(sequence))
            {
                case Merge.SeenResult.New:
                    if (encoder.Ring.Count > 0 && sequence > encoder.Ring.Newest + 1)
                    {
                        long skipped = (long)(sequence - encoder.Ring.Newest - 1);
                        encoder.Gaps += skipped;
                        counters.Gap(skipped);
                    }
                    encoder.Ring.Put(sequence, timestamp, (int)p.FrameDurationMicros, FrameHash.Of(frame), frame);
                    encoder.Pending.Add(sequence);
                    encoder.NoteFirst(sequence, timestamp);
                    encoder.FramesAccepted++;
                    encoder.LastFrameAt = now;
                    if (timestamp > encoder.LastTimestampMicros) encoder.LastTimestampMicros = timestamp;
                    counters.Frame();
                    break;
                case Merge.SeenResult.Duplicate:
                    encoder.Duplicates++;
                    counters.Duplicate();
                    break;
                default:
                    encoder.TooOld++;
                    break;
            }
            samples += p.SamplesPerFrame;
            sequence++;
        }
        return RejectReason.None;
    }

    private static bool IsWholeFrame(ref IFrameFormat? format, ReadOnlySpan<byte> frame)
    {
        if (format is null)
        {
            foreach (var candidate in new IFrameFormat[] { AdtsFormat.Instance, MpegAudioFormat.Instance })
            {
                if (frame.Length >= candidate.HeaderSize && candidate.TryParseHeader(frame, out int len, out _) && len == frame.Length)
                {
                    format = candidate;
                    return true;
                }
            }
            return false;
        }
        return frame.Length >= format.HeaderSize && format.TryParseHeader(frame, out int length, out _) && length == frame.Length;
    }

    private static RejectReason AcceptAnnounce(EncoderState encoder, in PacketView packet)
    {
        if (!Announce.TryDecode(packet.Payload, out var a)) return RejectReason.BadLength;
        if (encoder.Announcement is { } old && old.Parameters == a!.Parameters && old.Priority == a.Priority
            && old.Headers.Count == a.Headers.Count && a.Headers.All(h => old.Headers.TryGetValue(h.Key, out var v) && v == h.Value))
            return RejectReason.None;
        encoder.Announcement = new EncoderAnnouncement(
            encoder.Encoder, encoder.Session, a!.Parameters, a.Priority,
            a.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase));
        encoder.Format ??= FrameFormats.For(a.Parameters.Codec);
        return RejectReason.None;
    }

    private static RejectReason AcceptTitle(EncoderState encoder, in PacketView packet)
    {
        if (!TitleUpdate.TryDecode(packet.Payload, out var t)) return RejectReason.BadLength;
        if (encoder.Title is null || t!.FromSequence >= encoder.TitleFrom)
        {
            encoder.Title = t!.Title;
            encoder.TitleFrom = t.FromSequence;
        }
        return RejectReason.None;
    }

    private EncoderState? GetEncoder(MountState mount, ReadOnlySpan<byte> encoderBytes, ulong session)
    {
        Span<char> chars = stackalloc char[Protocol.MaxEncoderLength];
        int n = Encoding.UTF8.GetChars(encoderBytes, chars);
        var lookup = mount.Encoders.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..n], out var encoder))
        {
            if (session == encoder.Session) return encoder;
            if (session < encoder.Session) return null; // an old run of this encoder: stale or replayed
        }
        if (mount.Encoders.Count >= _options.MaxEncodersPerMount && encoder is null) return null;
        var name = new string(chars[..n]);
        var fresh = new EncoderState(name, session, _options.RingCapacity);
        mount.Encoders[name] = fresh;
        return fresh;
    }

    private MountState? GetOrAddMount(ReadOnlySpan<byte> mountBytes)
    {
        Span<char> chars = stackalloc char[Protocol.MaxMountLength];
        int n;
        try
        {
            n = Encoding.UTF8.GetChars(mountBytes, chars);
        }
        catch (ArgumentException)
        {
            return null;
        }
        var lookup = _mounts.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars[..n], out var state)) return state;
        if (_mounts.Count >= _options.MaxMounts) return null;
        string name;
        try
        {
            name = MountName.Normalize(new string(chars[..n]));
        }
        catch (ArgumentException)
        {
            return null;
        }
        return _mounts.GetOrAdd(name, m => new MountState(m));
    }

    /// <summary>Frames of the mount's encoders accepted since the last call, as one stream event; null if none.</summary>
    internal MountBatch? TakeBatch(MountState mount)
    {
        lock (mount.Gate)
        {
            List<FrameBatch>? batches = null;
            foreach (var e in mount.Encoders.Values)
            {
                if (e.Pending.Count == 0) continue;
                if (e.RefusedReason is not null)
                {
                    e.Pending.Clear();
                    continue;
                }
                (batches ??= []).Add(Slice(mount.Mount, e, e.Pending));
                e.Pending.Clear();
            }
            if (batches is null) return null;
            return new MountBatch { Mount = mount.Mount, Relay = RelayName, BatchNumber = ++mount.BatchNumber, Encoders = [.. batches] };
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

    /// <summary>Why the mount refuses this encoder (its grain's answer), or null. Allocation-free; for the ingest to tell the publisher.</summary>
    public string? RefusalFor(ReadOnlySpan<byte> mount, ReadOnlySpan<byte> encoder)
    {
        if (mount.Length > Protocol.MaxMountLength || encoder.Length > Protocol.MaxEncoderLength) return null;
        Span<char> m = stackalloc char[Protocol.MaxMountLength];
        Span<char> e = stackalloc char[Protocol.MaxEncoderLength];
        int mn = Encoding.UTF8.GetChars(mount, m), en = Encoding.UTF8.GetChars(encoder, e);
        if (!_mounts.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(m[..mn], out var state)) return null;
        lock (state.Gate)
            return state.Encoders.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(e[..en], out var encoderState) ? encoderState.RefusedReason : null;
    }

    public WindowSlice GetFrames(string mount, string encoder, ulong session, ulong fromSequence, int maxFrames)
    {
        if (!_mounts.TryGetValue(mount, out var state)) return new WindowSlice(null, 0, 0);
        lock (state.Gate)
        {
            if (!state.Encoders.TryGetValue(encoder, out var e) || e.Session != session || e.Ring.Count == 0)
                return new WindowSlice(null, 0, 0);
            return Range(mount, e, fromSequence, maxFrames);
        }
    }

    private WindowSlice Range(string mount, EncoderState e, ulong from, int maxFrames)
    {
        ulong oldest = Math.Max(e.Ring.OldestPossible, from);
        var seqs = new List<ulong>();
        for (ulong s = oldest; s <= e.Ring.Newest && seqs.Count < maxFrames; s++)
            if (e.Ring.TryGet(s, out _, out _)) seqs.Add(s);
        ulong first = seqs.Count > 0 ? seqs[0] : 0;
        return new WindowSlice(seqs.Count == 0 ? null : Slice(mount, e, seqs), first, e.Ring.Newest);
    }

    private FrameBatch Slice(string mount, EncoderState e, List<ulong> sequences)
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
            Relay = RelayName,
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
