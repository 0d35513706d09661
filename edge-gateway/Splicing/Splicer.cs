using Davecast.Grains;

namespace Davecast.Edge.Splicing;

/// <summary>Timing of the <see cref="Splicer"/>, in the caller's clock ticks.</summary>
/// <param name="EncoderTimeout">The initial <see cref="Splicer.EncoderTimeout"/>.</param>
public sealed record SplicerTiming(long Hold, long BackfillWait, long EncoderTimeout, long BackupWait);

/// <summary>A request to fetch frames from the relays' windows.</summary>
public readonly record struct BackfillRequest(string Encoder, ulong Session, ulong From, int Count);

/// <summary>
/// Builds one unbroken frame sequence for a mount from the frames of its encoders.
/// It plays the elected encoder in sequence order. When the next frame is missing, it waits <c>Hold</c> for a late
/// copy, asks the relays' windows for it (backfill), and then takes the frame for the same programme position from
/// the best other encoder: found by content when the encoders carry the same frames, else by media timestamp.
/// When the encoder playing stops altogether, it goes on with that other encoder. A planned change of the elected
/// encoder happens at the first frame at or after the election's switch time, at the aligned position.
/// Every decision depends only on which frames exist, so edges that hold the same frames emit the same sequence.
/// Not thread-safe.
/// </summary>
public sealed class Splicer(SplicerTiming timing)
{
    private readonly Dictionary<string, EncoderTrack> _tracks = new(StringComparer.Ordinal);
    private readonly List<BackfillRequest> _backfills = [];
    private EncoderTrack? _current;
    private ulong _next;
    private bool _haveLast;
    private long _programmeNext;
    private string? _elected;
    private ulong _electedSession;
    private long? _switchAt;
    private long _waitSince = -1;
    private (EncoderTrack Track, ulong Sequence)? _backfilled;
    private long _backfillAt;
    private int _backfillAttempts;

    public string? Playing => _current?.Name;
    public ulong NextSequence => _next;
    public long Emitted { get; private set; }
    public long GapFrames { get; private set; }
    public long Substituted { get; private set; }
    public long Failovers { get; private set; }
    public long Switches { get; private set; }
    public long Late { get; private set; }
    public long BackfillRequests { get; private set; }
    public IEnumerable<EncoderTrack> Tracks => _tracks.Values;

    /// <summary>An encoder whose last frame is older than this (in ticks) is not healthy: the sites' election's timeout.</summary>
    public long EncoderTimeout { get; set; } = timing.EncoderTimeout;

    /// <summary>The grain's election: the live encoder session, and the media time from which to play it (null: now).</summary>
    public void Elect(string? encoder, ulong session, long? switchAtMicros)
    {
        _elected = encoder;
        _electedSession = session;
        _switchAt = switchAtMicros;
    }

    public void SetPriority(string encoder, int priority)
    {
        if (_tracks.TryGetValue(encoder, out var t)) t.Priority = priority;
    }

    /// <summary>Takes one copy of a frame. A newer session of an encoder replaces the older one.</summary>
    public void Offer(string encoder, ulong session, ulong sequence, in SpliceFrame frame, long now)
    {
        if (!_tracks.TryGetValue(encoder, out var track) || track.Session < session)
        {
            if (track is not null && track.Session > session) return;
            var fresh = new EncoderTrack(encoder, session) { Priority = track?.Priority ?? 0 };
            _tracks[encoder] = track = fresh;
        }
        else if (track.Session > session)
        {
            return;
        }
        if (track == _current && sequence < _next)
        {
            if (track.Knows(sequence)) track.Put(sequence, frame, now); // counts the duplicate
            else Late++;
            return;
        }
        track.Put(sequence, frame, now);
    }

    /// <summary>Backfill requests made since the last call.</summary>
    public IReadOnlyList<BackfillRequest> TakeBackfillRequests()
    {
        if (_backfills.Count == 0) return [];
        var list = _backfills.ToArray();
        _backfills.Clear();
        return list;
    }

    /// <summary>Emits every frame that is due; returns how many.</summary>
    public int Pump(long now, Action<SpliceFrame, EncoderTrack, ulong> emit)
    {
        int emitted = PumpFrames(now, emit);
        ReleasePlayed();
        return emitted;
    }

    /// <summary>Frames before the aligned position a track's bytes are kept for, should the alignment move a little.</summary>
    public const int ReleaseMargin = 16;

    // Each track lets go of the bytes the splicer can no longer take: the one playing those before the next frame, every
    // other those before the frame aligned with it (a substitute or a switch starts there), less a margin. A track
    // that cannot be aligned keeps its newest frames' bytes (MaxContentLag).
    private void ReleasePlayed()
    {
        if (_current is not { } current) return;
        current.ReleaseBefore(_next);
        foreach (var track in _tracks.Values)
        {
            if (track == current || !track.ReleaseDue) continue;
            if (TryAlign(current, _next, track, out ulong m)) track.ReleaseBefore(m > ReleaseMargin ? m - ReleaseMargin : 0);
        }
    }

    private int PumpFrames(long now, Action<SpliceFrame, EncoderTrack, ulong> emit)
    {
        int emitted = 0;
        if (_current is null && !TryStart(now)) return 0;
        for (int guard = 0; guard < 100_000; guard++)
        {
            var current = _current!;
            if (_elected != current.Name || _electedSession != current.Session) TryPlannedSwitch(now);
            current = _current!;

            if (current.TryGet(_next, out var frame))
            {
                Emit(frame, current, _next, emit);
                emitted++;
                continue;
            }

            bool hole = current.TryFirstAfter(_next, out ulong after, out long afterArrival);
            long since = hole ? afterArrival : current.LastArrival;
            if (_waitSince < 0) _waitSince = now;
            if (now - since < timing.Hold || now - _waitSince < timing.Hold) return emitted;

            // A frame every relay may still hold: ask their windows. A request can be lost with a relay that dies
            // while it is answering, so it is asked again before the frame is given up (see RetryBackfill).
            if (_backfilled is not { } b || b.Track != current || b.Sequence != _next)
            {
                _backfilled = (current, _next);
                _backfillAttempts = 0;
                RequestBackfill(current, hole, after, now);
                return emitted;
            }
            if (now - _backfillAt < timing.BackfillWait) return emitted;
            var backup = BestBackup(current, now);
            if (backup is not null)
            {
                ulong m = Align(current, _next, backup);
                bool waitedEnough = now - _waitSince >= timing.Hold + timing.BackupWait;
                if (backup.TryGet(m, out var substitute) && hole)
                {
                    // One frame lost everywhere: play the backup's copy of it and stay.
                    Emit(substitute, backup, m, emit);
                    Substituted++;
                    emitted++;
                    _next++;
                    continue;
                }
                if (!hole && (backup.Has(m) || m <= backup.Highest || waitedEnough))
                {
                    // The encoder playing has stopped: go on with the backup from the same position.
                    _current = backup;
                    _next = m;
                    Failovers++;
                    ResetWait();
                    continue;
                }
                if (m > backup.Highest && !waitedEnough) return emitted; // the backup's copy is on its way
            }
            if (!hole)
            {
                // Nothing after it yet: the stream may be stalled while the windows hold the frames. Keep asking,
                // less and less often.
                long pause = timing.BackfillWait << Math.Min(_backfillAttempts - 1, 3);
                if (now - _backfillAt >= pause) RequestBackfill(current, hole, after, now);
                return emitted;
            }
            if (_backfillAttempts < BackfillAttemptsBeforeGap)
            {
                RequestBackfill(current, hole, after, now);
                return emitted;
            }
            GapFrames += (long)(after - _next);
            _next = after;
            ResetWait();
        }
        return emitted;
    }

    private bool TryStart(long now)
    {
        if (_elected is null || !_tracks.TryGetValue(_elected, out var track) || track.Session != _electedSession || !track.Any) return false;
        // Wait so that the copies from every relay are in before choosing where to start.
        if (now - track.FirstArrival < timing.Hold) return false;
        if (!track.TryLowestFrom(track.Floor, out ulong first)) return false;
        _current = track;
        _next = first;
        return true;
    }

    private void TryPlannedSwitch(long now)
    {
        if (_elected is null || !_tracks.TryGetValue(_elected, out var target) || target.Session != _electedSession) return;
        // Only to an encoder whose frames are flowing right now: one that just stopped still looks healthy for a while.
        if (!Healthy(target, now) || now - target.LastArrival >= timing.Hold) return;
        if (_switchAt is { } at && _haveLast && _programmeNext < at) return;
        if (!TryAlign(_current!, _next, target, out ulong m) || !target.Has(m)) return;
        _current = target;
        _next = m;
        Switches++;
        ResetWait();
    }

    private void Emit(in SpliceFrame frame, EncoderTrack from, ulong sequence, Action<SpliceFrame, EncoderTrack, ulong> emit)
    {
        emit(frame, from, sequence);
        Emitted++;
        if (from == _current) _next = sequence + 1;
        _programmeNext = frame.TimestampMicros + frame.DurationMicros;
        _haveLast = true;
        ResetWait();
    }

    private void ResetWait() => _waitSince = -1;

    /// <summary>Backfill requests for one missing frame before it is given up as a gap (when no backup has it).</summary>
    public const int BackfillAttemptsBeforeGap = 3;

    private void RequestBackfill(EncoderTrack current, bool hole, ulong after, long now)
    {
        _backfillAt = now;
        _backfillAttempts++;
        int count = hole ? (int)Math.Min(after - _next, 256) : 64;
        _backfills.Add(new BackfillRequest(current.Name, current.Session, _next, count));
        BackfillRequests++;
    }

    private bool Healthy(EncoderTrack t, long now) => ElectionRule.IsHealthy(t.Any, t.LastArrival, now, EncoderTimeout);

    /// <summary>Whether some encoder of the mount is healthy at this edge now: the election's rule, on the frames that arrive here.</summary>
    public bool AnyHealthy(long now)
    {
        foreach (var t in _tracks.Values)
            if (Healthy(t, now)) return true;
        return false;
    }

    /// <summary>The healthy encoder other than <paramref name="current"/> that the election would prefer.</summary>
    private EncoderTrack? BestBackup(EncoderTrack current, long now)
    {
        EncoderTrack? best = null;
        foreach (var t in _tracks.Values)
        {
            if (t == current || !Healthy(t, now)) continue;
            if (best is null || ElectionRule.Compare(t.Priority, t.Name, best.Priority, best.Name) < 0) best = t;
        }
        return best;
    }

    /// <summary>
    /// The sequence number in <paramref name="to"/> of the programme position of frame <paramref name="n"/> in
    /// <paramref name="from"/>: by content when their frames match, else by media timestamp.
    /// </summary>
    public ulong Align(EncoderTrack from, ulong n, EncoderTrack to)
    {
        TryAlign(from, n, to, out ulong m);
        return m;
    }

    /// <summary>Like <see cref="Align"/>; false when the best guess by time is not within half a frame.</summary>
    public bool TryAlign(EncoderTrack from, ulong n, EncoderTrack to, out ulong m)
    {
        if (TryAlignByContent(from, n, to, out m)) return true;
        return AlignByTime(to, ExpectedTimestamp(from, n), out m);
    }

    /// <summary>How far behind an encoder's newest frame a content match may lie (about 12 s of AAC).</summary>
    public const int MaxContentLag = 512;

    private static bool TryAlignByContent(EncoderTrack from, ulong n, EncoderTrack to, out ulong m)
    {
        // Look back from n (frames already played), then ahead (frames past a hole).
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 1; i <= 400; i++)
            {
                ulong k;
                if (pass == 0)
                {
                    if ((ulong)i > n || n - (ulong)i < from.Floor) break;
                    k = n - (ulong)i;
                }
                else
                {
                    k = n + (ulong)i;
                    if (k > from.Highest) break;
                }
                if (!from.TryGetInfo(k, out var f) || !to.TryFindHash(f.Hash, out ulong mk)) continue;
                if (!Confirmed(from, k, to, mk)) continue;
                long offset = (long)mk - (long)k;
                long result = (long)n + offset;
                // A match far behind the encoder's newest frame is the same audio from an earlier pass of a loop.
                if (result < 0 || result + MaxContentLag < (long)to.Highest) continue;
                m = (ulong)result;
                return true;
            }
        }
        m = 0;
        return false;
    }

    /// <summary>Two more neighbouring frames agree, where both encoders hold them.</summary>
    private static bool Confirmed(EncoderTrack from, ulong k, EncoderTrack to, ulong mk)
    {
        int agree = 0, checkedPairs = 0;
        for (int d = -3; d <= 3 && checkedPairs < 6; d++)
        {
            if (d == 0) continue;
            long fk = (long)k + d, tk = (long)mk + d;
            if (fk < 0 || tk < 0) continue;
            if (!from.TryGetInfo((ulong)fk, out var a) || !to.TryGetInfo((ulong)tk, out var b)) continue;
            checkedPairs++;
            if (a.Hash != b.Hash) return false;
            agree++;
        }
        return agree >= Math.Min(2, checkedPairs) && (agree > 0 || checkedPairs == 0);
    }

    /// <summary>Media time at which frame n of the track starts, from the nearest frame it holds.</summary>
    private long ExpectedTimestamp(EncoderTrack track, ulong n)
    {
        if (track == _current && _haveLast && n == _next) return _programmeNext;
        for (ulong d = 0; d < 512; d++)
        {
            if (n >= d && track.TryGetInfo(n - d, out var before)) return before.TimestampMicros + (long)d * before.DurationMicros;
            if (track.TryGetInfo(n + d, out var later)) return later.TimestampMicros - (long)d * later.DurationMicros;
        }
        return _programmeNext;
    }

    private static bool AlignByTime(EncoderTrack to, long target, out ulong best)
    {
        best = 0;
        if (!to.Any || !to.TryGetInfo(to.Highest, out var newest)) return false;
        long dur = Math.Max(1, newest.DurationMicros);
        long estimate = (long)to.Highest - (long)Math.Round((double)(newest.TimestampMicros - target) / dur);
        best = (ulong)Math.Max(0, estimate);
        long bestDistance = long.MaxValue;
        for (long c = estimate - 2; c <= estimate + 2; c++)
        {
            if (c < 0 || !to.TryGetInfo((ulong)c, out var f)) continue;
            long distance = Math.Abs(f.TimestampMicros - target);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = (ulong)c;
            }
        }
        return bestDistance <= dur / 2;
    }
}
