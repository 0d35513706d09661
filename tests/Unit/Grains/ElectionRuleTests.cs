using Davecast.Grains;

namespace Davecast.Tests.Grains;

/// <summary>
/// The election rule that every site's mount grain applies: sites that see the same encoders choose the same live
/// encoder and plan the same switch time, whenever each of them evaluates.
/// </summary>
public sealed class ElectionRuleTests
{
    private static readonly ElectionOptions Options = new(); // timeout 3 s, preferred hold 10 s, switch margin 3 s

    // Media time is Unix time in µs, as publishers stamp it. M0 is on the 1 s grid; the studio's first frame is not.
    private const long M0 = 1_767_225_600_000_000;
    private const long StudioFirst = M0 + 7_654_321;
    private const long S = 1_000_000;

    private static ElectionCandidate Encoder(
        string name, int priority, DateTimeOffset lastFrameAt, DateTimeOffset? healthySince = null, long lastTimestamp = 0,
        long? firstTimestamp = null, ulong session = 1, bool eligible = true) =>
        new(name, session, priority, eligible, lastFrameAt, healthySince, lastTimestamp, firstTimestamp);

    /// <summary>
    /// One site's mount grain, reduced to what the election keeps: the encoders as its relays report them, each one's
    /// healthy-since on this site's clock, and the outcome.
    /// </summary>
    private sealed class Site(DateTimeOffset clockAtM0)
    {
        private readonly Dictionary<string, ElectionCandidate> _encoders = new(StringComparer.Ordinal);

        public string? Live { get; private set; }
        public ulong LiveSession { get; private set; }
        public long? SwitchAt { get; private set; }
        public long LiveLastAtDecision { get; private set; }

        /// <summary>This site's wall clock when media time is <paramref name="media"/> (sites' clocks differ).</summary>
        public DateTimeOffset Clock(long media) => clockAtM0 + TimeSpan.FromMicroseconds(media - M0);

        /// <summary>The relays' report at media time <paramref name="media"/>: an encoder that sent frames up to then.</summary>
        public void Report(string name, int priority, long media, long? first, ulong session = 1)
        {
            _encoders.TryGetValue(name, out var known);
            _encoders[name] = Encoder(name, priority, Clock(media), known.Session == session ? known.HealthySince : null, media, first, session);
        }

        public void Evaluate(long media)
        {
            var now = Clock(media);
            foreach (var name in _encoders.Keys.ToList())
                _encoders[name] = _encoders[name] with { HealthySince = ElectionRule.HealthySince(_encoders[name], now, Options) };
            if (ElectionRule.Elect(_encoders.Values, Live, LiveSession, now, Options) is not { } outcome) return;
            if (Live is { } live) LiveLastAtDecision = _encoders[live].LastTimestampMicros;
            (Live, LiveSession, SwitchAt) = (outcome.Encoder, outcome.Session, outcome.SwitchAtMicros);
        }
    }

    /// <summary>
    /// Both sites play the backup; the studio (preferred) starts at <see cref="StudioFirst"/>. Site A hears of it
    /// 0.6 s later and evaluates on each report, once a second; site B, with another wall clock, hears of it and
    /// evaluates <paramref name="lateMicros"/> later than A, when the backup's newest frame is that much later too.
    /// </summary>
    [Theory]
    [InlineData(300_000)]
    [InlineData(1_700_000)]
    public void Two_sites_evaluating_at_different_moments_elect_the_same_encoder_and_the_same_switch_time(long lateMicros)
    {
        var a = new Site(DateTimeOffset.UnixEpoch.AddTicks(M0 * 10));
        var b = new Site(DateTimeOffset.UnixEpoch.AddTicks(M0 * 10) + TimeSpan.FromSeconds(42.25)); // clocks differ
        const long reportLag = 500_000; // a report tells the newest frame of half a second before
        foreach (var (site, offset) in new[] { (a, 0L), (b, lateMicros) })
        {
            // Each site evaluates once a second, at its own phase, from the first report that shows the studio on.
            long heard = StudioFirst + 600_000 + offset;
            for (long t = heard - 8 * S; t < heard + 20 * S; t += S)
            {
                site.Report("backup", 50, t - reportLag, M0 - 3600 * S);
                if (t >= heard) site.Report("studio", 100, t - reportLag, StudioFirst, session: 7);
                string? before = site.Live;
                site.Evaluate(t);
                if (before == "backup" && site.Live == "studio") break;
            }
        }

        Assert.Equal("studio", a.Live);
        Assert.Equal("studio", b.Live);
        Assert.Equal(7UL, a.LiveSession);
        Assert.Equal(7UL, b.LiveSession);
        // They decided on different newest frames of the backup, yet plan the same frame: the grid point at or after
        // the studio's first frame + hold (10 s) + margin (3 s).
        Assert.Equal(lateMicros, b.LiveLastAtDecision - a.LiveLastAtDecision);
        Assert.Equal(M0 + 21 * S, a.SwitchAt);
        Assert.Equal(a.SwitchAt, b.SwitchAt);
        Assert.True(b.SwitchAt - b.LiveLastAtDecision >= ElectionRule.SafetyLeadMicros);
    }

    [Fact]
    public void The_planned_switch_time_depends_on_the_preferred_encoders_first_frame_not_on_when_the_rule_runs()
    {
        long hold = (long)Options.PreferredHold.TotalMicroseconds, margin = (long)Options.SwitchMargin.TotalMicroseconds;
        Assert.Equal(M0 + 21 * S, ElectionRule.CeilToGrid(StudioFirst + hold + margin));
        foreach (long liveLast in new[] { StudioFirst + 9 * S, StudioFirst + 10_300_000, StudioFirst + 12 * S, M0 + 20 * S })
            Assert.Equal(M0 + 21 * S, ElectionRule.PlannedSwitchAt(StudioFirst, liveLast, Options));
    }

    [Fact]
    public void Ties_in_priority_go_to_the_ordinal_first_name_whatever_the_report_order()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        // Ordinal: "Studio-B" < "backup" < "studio-a" (a culture-aware order would put "backup" first).
        var encoders = new[]
        {
            Encoder("studio-a", 100, now, now.AddMinutes(-1)),
            Encoder("backup", 100, now, now.AddMinutes(-1)),
            Encoder("Studio-B", 100, now, now.AddMinutes(-1)),
            Encoder("low", 10, now, now.AddMinutes(-1)),
        };
        foreach (var order in Permutations(encoders))
        {
            var outcome = ElectionRule.Elect(order, null, 0, now, Options);
            Assert.Equal(new ElectionOutcome("Studio-B", 1, null), outcome);
        }

        // Also among preferred encoders that replace a healthy live one: planned, to the ordinal-first of them.
        var live = Encoder("low", 10, now, now.AddMinutes(-5), lastTimestamp: M0 + 600 * S);
        foreach (var order in Permutations([.. encoders.Take(3), live]))
        {
            var outcome = ElectionRule.Elect(order, "low", 1, now, Options);
            Assert.Equal("Studio-B", outcome?.Encoder);
            Assert.NotNull(outcome?.SwitchAtMicros);
        }
    }

    [Fact]
    public void A_site_that_heard_the_preferred_encoder_late_plans_the_switch_a_margin_after_the_live_encoders_newest_frame()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        var live = Encoder("backup", 50, now, now.AddMinutes(-10), lastTimestamp: StudioFirst + 24_500_000);
        // This site's path from the studio was cut: it knows the studio's first frame, but it has been healthy
        // here for the hold only now, when first + hold + margin is already past.
        var studio = Encoder("studio", 100, now, now - Options.PreferredHold, lastTimestamp: StudioFirst + 24_600_000, firstTimestamp: StudioFirst);

        var outcome = ElectionRule.Elect([live, studio], "backup", 1, now, Options);

        // Grid point at or after the backup's newest frame (7.654321 + 24.5 s) + 3 s.
        Assert.Equal(new ElectionOutcome("studio", 1, M0 + 36 * S), outcome);
    }

    [Fact]
    public void The_switch_time_must_lead_the_live_encoders_newest_frame_by_the_safety_lead()
    {
        long planned = M0 + 21 * S; // from StudioFirst
        Assert.Equal(planned, ElectionRule.PlannedSwitchAt(StudioFirst, planned - ElectionRule.SafetyLeadMicros, Options));
        // 1 µs less lead: too close for every edge to hear of it in time; the fallback is ceil(newest + 3 s).
        Assert.Equal(M0 + 24 * S, ElectionRule.PlannedSwitchAt(StudioFirst, planned - ElectionRule.SafetyLeadMicros + 1, Options));
        // No relay told the first frame (a relay of an older version): the fallback too.
        Assert.Equal(M0 + 23 * S, ElectionRule.PlannedSwitchAt(null, M0 + 19_100_000, Options));
        // The preferred encoder's timestamps run far ahead of the live one's (another timeline): the fallback,
        // rather than a switch the edges would wait for indefinitely.
        Assert.Equal(M0 + 23 * S, ElectionRule.PlannedSwitchAt(StudioFirst + 3600 * S, M0 + 19_100_000, Options));
    }

    [Fact]
    public void When_the_live_encoder_stops_the_best_healthy_encoder_takes_over_at_once()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        var studio = Encoder("studio", 100, now - Options.EncoderTimeout - TimeSpan.FromMilliseconds(1), now.AddMinutes(-10), M0 + 500 * S, M0, session: 3);
        var backup = Encoder("backup", 50, now, healthySince: now, lastTimestamp: M0 + 503 * S, firstTimestamp: M0 + 502 * S);
        var spare = Encoder("spare", 20, now, now.AddMinutes(-10), M0 + 503 * S, M0);

        Assert.Equal(new ElectionOutcome("backup", 1, null), ElectionRule.Elect([studio, spare, backup], "studio", 3, now, Options));

        // The live encoder restarted (a new session): not the session elected, so it is replaced at once, by itself.
        var restarted = studio with { Session = 4, LastFrameAt = now, HealthySince = now };
        Assert.Equal(new ElectionOutcome("studio", 4, null), ElectionRule.Elect([restarted, spare, backup], "studio", 3, now, Options));

        // Nothing healthy to take over: the live encoder stays.
        Assert.Null(ElectionRule.Elect([studio], "studio", 3, now, Options));
    }

    [Fact]
    public void A_healthy_live_encoder_stays_until_a_preferred_one_has_been_healthy_for_the_hold()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(20000);
        var live = Encoder("backup", 50, now, now.AddMinutes(-10), M0 + 600 * S, M0);
        var lower = Encoder("spare", 20, now, now.AddMinutes(-10), M0 + 600 * S, M0);
        var refused = Encoder("other-codec", 500, now, now.AddMinutes(-10), M0 + 600 * S, M0, eligible: false);
        var studio = Encoder("studio", 100, now, now - Options.PreferredHold + TimeSpan.FromMilliseconds(1), M0 + 600 * S, M0 + 590_500_000);

        Assert.Null(ElectionRule.Elect([live, lower, refused, studio], "backup", 1, now, Options));
        Assert.False(ElectionRule.IsHealthy(refused, now, Options));
        Assert.Null(ElectionRule.HealthySince(refused, now, Options));

        var proven = studio with { HealthySince = now - Options.PreferredHold };
        Assert.Equal(new ElectionOutcome("studio", 1, M0 + 604 * S), ElectionRule.Elect([live, lower, refused, proven], "backup", 1, now, Options));
    }

    [Fact]
    public void The_first_frame_of_a_session_is_the_lowest_sequence_any_relay_accepted()
    {
        static EncoderReport Report(ulong firstSequence, long firstTimestamp, long frames = 100) =>
            new("studio", 7, 500, DateTimeOffset.UnixEpoch, frames, 0, 0, null, null, M0 + 20 * S, firstTimestamp, firstSequence);
        var fromStart = Report(0, StudioFirst);
        var restartedRelay = Report(240, StudioFirst + 240 * 26_122);
        var olderRelay = Report(0, 0);           // predates the field
        var noFrameYet = Report(0, 0, frames: 0);

        foreach (var order in Permutations([fromStart, restartedRelay, olderRelay, noFrameYet]))
        {
            (ulong, long)? first = null;
            foreach (var r in order) first = ElectionRule.LowestFirst(first, r);
            Assert.Equal((0UL, StudioFirst), first);
        }
        Assert.Null(ElectionRule.LowestFirst(ElectionRule.LowestFirst(null, olderRelay), noFrameYet));
    }

    [Fact]
    public void Health_is_one_rule_in_wall_clock_time_and_in_clock_ticks()
    {
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        var timeout = TimeSpan.FromSeconds(3);
        var options = new ElectionOptions { EncoderTimeout = timeout };
        foreach (var age in new[] { TimeSpan.Zero, timeout, timeout + TimeSpan.FromTicks(1), TimeSpan.FromHours(1) })
        {
            foreach (bool eligible in new[] { true, false })
            {
                bool expected = eligible && age <= timeout;
                Assert.Equal(expected, ElectionRule.IsHealthy(eligible, now - age, now, timeout));
                Assert.Equal(expected, ElectionRule.IsHealthy(Encoder("e", 0, now - age, eligible: eligible), now, options));
                // The edge's splicer: its own clock's ticks (any frequency), the same rule.
                Assert.Equal(expected, ElectionRule.IsHealthy(eligible, 5_000, 5_000 + age.Ticks, timeout.Ticks));
            }
        }
    }

    [Fact]
    public void Preference_is_priority_first_then_the_ordinal_first_name()
    {
        Assert.True(ElectionRule.Compare(200, "z", 100, "a") < 0);
        Assert.True(ElectionRule.Compare(100, "a", 200, "z") > 0);
        Assert.True(ElectionRule.Compare(100, "Z", 100, "a") < 0); // ordinal: upper case sorts first
        Assert.True(ElectionRule.Compare(100, "b", 100, "a") > 0);
        Assert.Equal(0, ElectionRule.Compare(100, "a", 100, "a"));
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        var candidates = new[] { Encoder("b", 100, now), Encoder("Z", 100, now), Encoder("y", 300, now), Encoder("a", 50, now) };
        Assert.Equal(["y", "Z", "b", "a"], candidates.Order(Comparer<ElectionCandidate>.Create((x, y) => ElectionRule.Compare(x, y))).Select(c => c.Encoder));
    }

    [Theory]
    [InlineData(M0, M0)]
    [InlineData(M0 + 1, M0 + S)]
    [InlineData(M0 + S - 1, M0 + S)]
    [InlineData(-1_500_000, -1_000_000)]
    [InlineData(0, 0)]
    public void Switch_times_fall_on_whole_seconds_of_media_time(long micros, long expected) =>
        Assert.Equal(expected, ElectionRule.CeilToGrid(micros));

    private static IEnumerable<T[]> Permutations<T>(T[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var p in Permutations(rest)) yield return [items[i], .. p];
        }
    }
}
