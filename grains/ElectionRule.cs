namespace Davecast.Grains;

/// <summary>One encoder session as the election sees it (merged over the relays of one site).</summary>
/// <param name="Encoder">The encoder's name.</param>
/// <param name="Session">Its current session.</param>
/// <param name="Priority">The priority it announced.</param>
/// <param name="Eligible">It has announced itself and the mount does not refuse it.</param>
/// <param name="LastFrameAt">When a relay last accepted a frame of it (the relays' clock).</param>
/// <param name="HealthySince">Since when it has been healthy without a break (the caller's clock), null if it is not.</param>
/// <param name="LastTimestampMicros">The newest media timestamp of it that a relay accepted.</param>
/// <param name="FirstTimestampMicros">
/// The media timestamp of the lowest sequence of this session that a relay accepted; null when no relay told it.
/// </param>
public readonly record struct ElectionCandidate(
    string Encoder,
    ulong Session,
    int Priority,
    bool Eligible,
    DateTimeOffset LastFrameAt,
    DateTimeOffset? HealthySince,
    long LastTimestampMicros,
    long? FirstTimestampMicros);

/// <summary>A change of the live encoder: at once (<paramref name="SwitchAtMicros"/> null) or planned at that media time.</summary>
public readonly record struct ElectionOutcome(string Encoder, ulong Session, long? SwitchAtMicros);

/// <summary>
/// The election of a mount's live encoder, as a pure function of what the relays reported, so that every site that
/// sees the same encoders makes the same choice. Preference: higher priority, then the ordinal-first name
/// (<see cref="Compare(int, string, int, string)"/>, by which the edge's splicer picks its backup too). While the
/// live encoder is healthy it stays live, unless a preferred encoder has been healthy for <see cref="ElectionOptions.PreferredHold"/>: then the switch is planned at a media
/// time that depends on media timestamps only (<see cref="PlannedSwitchAt"/>). When the live encoder is not
/// healthy, the preferred healthy encoder takes over at once.
/// </summary>
public static class ElectionRule
{
    /// <summary>Planned switch times fall on this grid of media time (1 s).</summary>
    public const long GridMicros = 1_000_000;

    /// <summary>A planned switch time must be at least this far ahead of the live encoder's newest frame (1 s).</summary>
    public const long SafetyLeadMicros = 1_000_000;

    /// <summary>Healthy: eligible, and its last frame is at most <see cref="ElectionOptions.EncoderTimeout"/> old.</summary>
    public static bool IsHealthy(in ElectionCandidate e, DateTimeOffset now, ElectionOptions options) =>
        IsHealthy(e.Eligible, e.LastFrameAt, now, options.EncoderTimeout);

    /// <summary>An encoder as the mount grain reports it: not refused, and heard from within the timeout.</summary>
    public static bool IsHealthy(EncoderStatus e, DateTimeOffset now, TimeSpan encoderTimeout) =>
        IsHealthy(e.RefusedReason is null, e.LastFrameAt, now, encoderTimeout);

    /// <summary>Health by wall-clock times (the relays' reports), as in <see cref="IsHealthy(bool, long, long, long)"/>.</summary>
    public static bool IsHealthy(bool eligible, DateTimeOffset lastFrameAt, DateTimeOffset now, TimeSpan encoderTimeout) =>
        IsHealthy(eligible, lastFrameAt.UtcTicks, now.UtcTicks, encoderTimeout.Ticks);

    /// <summary>
    /// The one rule of health, for the election, the edges' choice of a site's view, the edge's splicer (its own
    /// clock's ticks) and health pages alike: eligible, and its last frame at most the encoder timeout old.
    /// </summary>
    public static bool IsHealthy(bool eligible, long lastFrameAt, long now, long encoderTimeout) =>
        eligible && now - lastFrameAt <= encoderTimeout;

    /// <summary>The candidate's <see cref="ElectionCandidate.HealthySince"/> after <paramref name="now"/>: kept, started now, or cleared.</summary>
    public static DateTimeOffset? HealthySince(in ElectionCandidate e, DateTimeOffset now, ElectionOptions options) =>
        IsHealthy(e, now, options) ? e.HealthySince ?? now : null;

    /// <summary>Negative when <paramref name="a"/> is preferred to <paramref name="b"/>: higher priority, then ordinal name.</summary>
    public static int Compare(in ElectionCandidate a, in ElectionCandidate b) => Compare(a.Priority, a.Encoder, b.Priority, b.Encoder);

    /// <summary>
    /// The one order of preference among encoders, for the election and the edge's choice of a backup alike:
    /// negative when encoder <paramref name="a"/> is preferred to <paramref name="b"/>.
    /// </summary>
    public static int Compare(int priorityA, string a, int priorityB, string b) =>
        priorityA != priorityB ? priorityB.CompareTo(priorityA) : string.CompareOrdinal(a, b);

    /// <summary>
    /// Elects from <paramref name="encoders"/> (one entry per encoder name) given the live encoder session
    /// (<paramref name="liveEncoder"/>, <paramref name="liveSession"/>; null when none). Returns null when the live
    /// encoder stays (or nothing healthy could replace it), else the new live encoder and when it takes over.
    /// </summary>
    public static ElectionOutcome? Elect(
        IEnumerable<ElectionCandidate> encoders, string? liveEncoder, ulong liveSession, DateTimeOffset now, ElectionOptions options)
    {
        ElectionCandidate? live = null;
        if (liveEncoder is not null)
        {
            foreach (var e in encoders)
            {
                if (e.Session == liveSession && string.Equals(e.Encoder, liveEncoder, StringComparison.Ordinal)) live = e;
            }
        }
        bool liveHealthy = live is { } l && IsHealthy(l, now, options);

        ElectionCandidate? next = null;
        foreach (var e in encoders)
        {
            if (!IsHealthy(e, now, options)) continue;
            if (liveHealthy)
            {
                var current = live!.Value;
                if (string.Equals(e.Encoder, current.Encoder, StringComparison.Ordinal)) continue;
                // While the live encoder is healthy, only a better encoder that has proven itself may take over.
                if (e.Priority <= current.Priority || e.HealthySince is not { } since || now - since < options.PreferredHold) continue;
            }
            if (next is not { } best || Compare(e, best) < 0) next = e;
        }
        if (next is not { } chosen) return null;
        long? switchAt = liveHealthy ? PlannedSwitchAt(chosen.FirstTimestampMicros, live!.Value.LastTimestampMicros, options) : null;
        return new ElectionOutcome(chosen.Encoder, chosen.Session, switchAt);
    }

    /// <summary>
    /// When a planned switch happens, in media time: the grid point at or after the preferred encoder's first
    /// timestamp plus <see cref="ElectionOptions.PreferredHold"/> plus <see cref="ElectionOptions.SwitchMargin"/>.
    /// That depends on media timestamps only, so sites that decide at different moments agree. When that time is
    /// less than <see cref="SafetyLeadMicros"/> ahead of the live encoder's newest frame (the first timestamp is
    /// unknown, or the site heard of the preferred encoder late), or more than a hold beyond the fallback (the
    /// encoders' timestamps disagree), it is the grid point at or after the live encoder's newest frame plus
    /// <see cref="ElectionOptions.SwitchMargin"/>.
    /// </summary>
    public static long PlannedSwitchAt(long? preferredFirstTimestampMicros, long liveLastTimestampMicros, ElectionOptions options)
    {
        long margin = (long)options.SwitchMargin.TotalMicroseconds;
        long hold = (long)options.PreferredHold.TotalMicroseconds;
        long fallback = CeilToGrid(liveLastTimestampMicros + margin);
        if (preferredFirstTimestampMicros is { } first)
        {
            long at = CeilToGrid(first + hold + margin);
            if (at - liveLastTimestampMicros >= SafetyLeadMicros && at - fallback <= hold) return at;
        }
        return fallback;
    }

    /// <summary>
    /// Merges one relay's report into what is known of an encoder session's first frame: the lowest first sequence
    /// over the relays, with its timestamp. A report without it (no frame yet, or a relay that predates the field and
    /// sends 0; publishers stamp Unix time) changes nothing. The caller forgets it when the session changes.
    /// </summary>
    public static (ulong Sequence, long TimestampMicros)? LowestFirst((ulong Sequence, long TimestampMicros)? known, EncoderReport report)
    {
        if (report.FramesAccepted <= 0 || report.FirstTimestampMicros == 0) return known;
        if (known is { } k && k.Sequence <= report.FirstSequence) return known;
        return (report.FirstSequence, report.FirstTimestampMicros);
    }

    /// <summary>The smallest multiple of <see cref="GridMicros"/> at or after <paramref name="micros"/>.</summary>
    public static long CeilToGrid(long micros)
    {
        long rem = micros % GridMicros;
        if (rem == 0) return micros;
        return rem > 0 ? micros - rem + GridMicros : micros - rem;
    }
}
