using Davecast.Frames;
using Davecast.Grains;
using Davecast.Silo.Window;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Decides about each packet, whatever transport brought it: parses it, verifies its tag with the key ring, drops
/// replays (per path) and the copies of frames another path brought first, and keeps the rest in the
/// <see cref="RelayWindow"/> and the encoder's state. Says why a packet was refused, and whether its encoder is one
/// its mount refuses (for the <see cref="RefusalReplies"/>). Thread-safe: each mount has its own lock.
/// </summary>
public sealed class PacketAcceptor(MountTable mounts, RelayWindow window, KeyRing keys, IngestCounters counters, TimeProvider time)
{
    /// <summary>
    /// Checks and takes one packet. <paramref name="key"/> is the key that verified it (null when none did), and
    /// <paramref name="refusal"/>, for a verified control packet, why its encoder is refused: by its mount, or
    /// because a new mount or encoder would be beyond a cap (null otherwise).
    /// </summary>
    public RejectReason Accept(ReadOnlySpan<byte> packet, IngestTransport transport, out PacketView view, out PacketKey? key, out string? refusal)
    {
        counters.Packet(transport, packet.Length);
        key = null;
        refusal = null;
        var reason = PacketCodec.TryParse(packet, out view);
        if (reason == RejectReason.None)
        {
            // Refused packets go from relays to publishers, never the other way.
            var state = mounts.Find(view.Mount);
            if (view.Type == PacketType.Refused) reason = RejectReason.BadType;
            else if (view.Type == PacketType.Audio && state is not null && IsKnownCopy(state, view)) return RejectReason.None;
            else if (!keys.TryGet(view.KeyId, out key)) reason = RejectReason.UnknownKey;
            else if (!key!.Verify(view))
            {
                key = null;
                reason = RejectReason.BadTag;
            }
            else reason = Take(view, state, out refusal);
        }
        if (reason != RejectReason.None) counters.Reject(reason);
        return reason;
    }

    /// <summary>
    /// Another path's copy of frames this relay already kept: dropped and counted before its tag is checked, as
    /// dropping it needs no proof, and at two paths per relay this spares half the tag checks. It changes nothing
    /// else (no replay guard, no session), so a forged copy can only add to the duplicate count.
    /// </summary>
    private bool IsKnownCopy(MountState state, in PacketView packet)
    {
        lock (state.Gate)
        {
            var encoder = MountTable.FindEncoder(state, packet.Encoder);
            if (encoder is null || encoder.Session != packet.Session || !AllSeen(encoder.Seen, packet.Sequence, packet.FrameCount)) return false;
            encoder.Duplicates += packet.FrameCount;
        }
        counters.Duplicate(packet.FrameCount);
        return true;
    }

    // Not a reason given out: the mount was forgotten under the packet, which is taken again.
    private const RejectReason Retry = (RejectReason)byte.MaxValue;

    /// <summary>Takes one verified packet. Returns why it was refused, or None.</summary>
    internal RejectReason Take(in PacketView packet, out string? refusal) => Take(packet, null, out refusal);

    private RejectReason Take(in PacketView packet, MountState? known, out string? refusal)
    {
        refusal = null;
        var state = known;
        while (true)
        {
            if (state is null)
            {
                state = mounts.GetOrAdd(packet.Mount, packet.KeyId, out var added);
                if (state is null) return Refuse(packet, added, null, out refusal);
            }
            var reason = Take(state, packet, out refusal);
            if (reason != Retry) return reason;
            state = null;
        }
    }

    /// <summary>Whether a verified packet was refused for a cap on what the relay holds (mounts, encoders).</summary>
    public static bool IsCap(RejectReason reason) =>
        reason is RejectReason.KeyMountLimit or RejectReason.RelayMountLimit or RejectReason.EncoderLimit;

    // A packet refused for a cap: a control packet's encoder hears why (the caps' reasons are worded for the publisher).
    private RejectReason Refuse(in PacketView packet, RejectReason reason, string? mount, out string? refusal)
    {
        refusal = IsCap(reason) && packet.Type is PacketType.Heartbeat or PacketType.Announce
            ? mounts.Refusal(reason, System.Text.Encoding.UTF8.GetString(packet.KeyId), mount ?? System.Text.Encoding.UTF8.GetString(packet.Mount))
            : null;
        return reason;
    }

    private RejectReason Take(MountState state, in PacketView packet, out string? refusal)
    {
        refusal = null;
        var now = time.GetUtcNow();
        lock (state.Gate)
        {
            // Forgotten (idle) since it was looked up: the caller looks it up again.
            if (state.Forgotten) return Retry;
            state.LastPacketAt = now;
            var encoder = mounts.GetEncoder(state, packet.Encoder, packet.Session, out var unknown);
            if (encoder is null) return Refuse(packet, unknown, state.Mount, out refusal);
            if (!encoder.Replays.Offer(packet.PathId, packet.Type, packet.Sequence)) return RejectReason.Replay;
            encoder.LastHeardAt = now;
            var reason = packet.Type switch
            {
                PacketType.Audio => AcceptAudio(encoder, packet, now),
                PacketType.Announce => AcceptAnnounce(encoder, packet),
                PacketType.Metadata => AcceptTitle(encoder, packet),
                PacketType.Heartbeat => Heartbeat.TryRead(packet.Payload, out _) ? RejectReason.None : RejectReason.BadLength,
                _ => RejectReason.BadType,
            };
            // Control packets come a few times a second per path: enough to answer a refused encoder, never per frame.
            if (reason == RejectReason.None && packet.Type is PacketType.Heartbeat or PacketType.Announce) refusal = encoder.RefusedReason;
            return reason;
        }
    }

    private RejectReason AcceptAudio(EncoderState encoder, in PacketView packet, DateTimeOffset now)
    {
        // Another path's copy of frames already kept (one that came in while this packet's tag was checked): counted,
        // not parsed again. Each relay parses each frame once, whatever the number of paths.
        if (AllSeen(encoder.Seen, packet.Sequence, packet.FrameCount))
        {
            encoder.Duplicates += packet.FrameCount;
            counters.Duplicate(packet.FrameCount);
            return RejectReason.None;
        }
        // Every frame is parsed once, before any is kept (a packet is taken whole or not at all); the second pass
        // uses the parameters kept here. At most Protocol.MaxFramesPerPacket frames: PacketCodec checked.
        Span<CodecParameters> parameters = stackalloc CodecParameters[packet.FrameCount];
        var format = encoder.Format;
        int count = 0;
        foreach (var frame in packet.Frames)
        {
            if (!TryParseWhole(ref format, frame, out parameters[count++])) return RejectReason.BadFrame;
        }
        encoder.Format ??= format;
        if (encoder.RefusedReason is not null) return RejectReason.None;

        ulong sequence = packet.Sequence;
        long samples = 0;
        int i = 0;
        foreach (var frame in packet.Frames)
        {
            ref readonly var p = ref parameters[i++];
            // Later frames of a packet: the first frame's time plus the exact samples before them.
            long timestamp = packet.TimestampMicros + (p.SampleRate == 0 ? 0 : samples * 1_000_000 / p.SampleRate);
            switch (encoder.Seen.Offer(sequence))
            {
                case SeenResult.New:
                    long skipped = window.Keep(encoder, sequence, timestamp, p, frame);
                    if (skipped > 0)
                    {
                        encoder.Gaps += skipped;
                        counters.Gap(skipped);
                    }
                    encoder.Pending.Add(sequence);
                    encoder.NoteFirst(sequence, timestamp);
                    encoder.FramesAccepted++;
                    encoder.LastFrameAt = now;
                    if (timestamp > encoder.LastTimestampMicros) encoder.LastTimestampMicros = timestamp;
                    counters.Frame();
                    break;
                case SeenResult.Duplicate:
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

    private static bool AllSeen(SeenWindow seen, ulong first, int count)
    {
        for (int i = 0; i < count; i++)
            if (!seen.Contains(first + (ulong)i)) return false;
        return count > 0;
    }

    // A whole frame of the encoder's format; the first frame of an encoder whose format is not known yet tells it.
    private static bool TryParseWhole(ref IFrameFormat? format, ReadOnlySpan<byte> frame, out CodecParameters parameters)
    {
        int length;
        if (format is null)
        {
            format = FrameFormats.Detect(frame, out length, out parameters);
            if (format is not null && length == frame.Length) return true;
            format = null;
            return false;
        }
        return format.TryParseHeader(frame, out length, out parameters) && length == frame.Length;
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
}
