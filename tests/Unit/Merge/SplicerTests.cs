using Davecast.Edge.Splicing;

namespace Davecast.Tests.Merge;

public sealed class SplicerTests
{
    private const long Dur = 23_220; // µs, one AAC frame at 44.1 kHz
    private static readonly SplicerTiming Timing = new(Hold: 400, BackfillWait: 300, EncoderTimeout: 3000, BackupWait: 2000);

    /// <summary>Programme position p (0, 1, 2...) has content p: encoders of "the same upstream" hash alike.</summary>
    private static SpliceFrame Frame(long position, long timestampBase = 1_000_000, ulong salt = 0) =>
        new(new byte[] { (byte)position }, timestampBase + position * Dur, Dur, (ulong)position * 7919UL + 1 + salt * 1_000_003UL);

    private sealed class Out
    {
        public readonly List<(string Encoder, ulong Seq, long Ts, ulong Hash)> Frames = [];
        public void Add(SpliceFrame f, EncoderTrack t, ulong s) => Frames.Add((t.Name, s, f.TimestampMicros, f.Hash));
        public IEnumerable<ulong> Hashes => Frames.Select(f => f.Hash);
    }

    [Fact]
    public void Copies_in_any_order_come_out_once_in_order()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        foreach (ulong q in new ulong[] { 3, 1, 2, 0, 2, 1, 4 }) s.Offer("a", 1, q, Frame((long)q), now: 0);
        s.Pump(500, o.Add);
        Assert.Equal([0UL, 1, 2, 3, 4], o.Frames.Select(f => f.Seq));
        s.Offer("a", 1, 2, Frame(2), 600);
        s.Pump(600, o.Add);
        Assert.Equal(5, o.Frames.Count);
        Assert.Equal(3, s.Tracks.Single().Duplicates);
        Assert.Equal(0, s.Late);
    }

    [Fact]
    public void A_mount_is_live_while_any_encoder_is_healthy_by_the_election_rule_a_backup_included()
    {
        var s = new Splicer(Timing);
        Assert.False(s.AnyHealthy(0)); // no frame yet
        s.Elect("a", 1, null);
        s.Offer("a", 1, 0, Frame(0), now: 0);
        Assert.True(s.AnyHealthy(3000)); // last frame exactly the encoder timeout old: still healthy, as the election has it
        Assert.False(s.AnyHealthy(3001));
        // The live encoder stopped at 0; a backup still sends: the mount stays live.
        s.Offer("b", 9, 100, Frame(0), now: 2500);
        Assert.True(s.AnyHealthy(5500));
        Assert.False(s.AnyHealthy(5501));
        // The sites' encoder timeout applies as soon as it is set.
        s.EncoderTimeout = 10_000;
        Assert.True(s.AnyHealthy(12_500));
    }

    [Fact]
    public void Frame_lost_everywhere_is_backfilled_first_then_taken_from_the_backup_by_content()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        // b carries the same programme, 100 sequence numbers further on (it started earlier).
        for (long p = 0; p < 50; p++)
        {
            if (p != 20) s.Offer("a", 1, (ulong)p, Frame(p), 0);
            s.Offer("b", 9, (ulong)(p + 100), Frame(p), 0);
        }
        s.SetPriority("a", 200);
        s.SetPriority("b", 100);
        s.Pump(500, o.Add);
        Assert.Equal(20, o.Frames.Count); // waits at the hole
        s.Pump(950, o.Add); // hole older than the hold: backfill asked
        var req = Assert.Single(s.TakeBackfillRequests());
        Assert.Equal(("a", 1UL, 20UL), (req.Encoder, req.Session, req.From));
        s.Pump(1100, o.Add); // backfill still pending
        Assert.Equal(20, o.Frames.Count);
        s.Pump(1300, o.Add); // gave up: b's copy of position 20
        Assert.Equal(Enumerable.Range(0, 50).Select(p => Frame(p).Hash), o.Hashes);
        Assert.Equal("b", o.Frames[20].Encoder);
        Assert.Equal("a", o.Frames[21].Encoder);
        Assert.Equal(1, s.Substituted);
        Assert.Equal(0, s.GapFrames);
    }

    [Fact]
    public void Backfilled_frame_is_used_when_it_comes()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        for (long p = 0; p < 10; p++) if (p != 5) s.Offer("a", 1, (ulong)p, Frame(p), 0);
        s.Pump(500, o.Add);
        s.Pump(950, o.Add);
        Assert.Single(s.TakeBackfillRequests());
        s.Offer("a", 1, 5, Frame(5), 1000);
        s.Pump(1000, o.Add);
        Assert.Equal(Enumerable.Range(0, 10).Select(p => Frame(p).Hash), o.Hashes);
        Assert.All(o.Frames, f => Assert.Equal("a", f.Encoder));
    }

    [Fact]
    public void Stopped_encoder_is_replaced_at_the_same_programme_position_by_content()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        s.SetPriority("a", 200);
        var o = new Out();
        long now = 0;
        // a plays positions 0..29 then dies; b runs 7 frames behind in its own numbering, and keeps going.
        for (long p = 0; p < 60; p++)
        {
            now = p * 23;
            if (p < 30) s.Offer("a", 1, (ulong)(1000 + p), Frame(p), now);
            s.Offer("b", 2, (ulong)(p + 7), Frame(p, timestampBase: 5_000_000), now);
            s.SetPriority("b", 100);
            s.Pump(now, o.Add);
        }
        AssertFailedOverOnce(s, o, now, "b");
    }

    /// <summary>After 4 s more of pumping: programme positions 0..59 without a break, and one failover, to <paramref name="backup"/>.</summary>
    private static void AssertFailedOverOnce(Splicer s, Out o, long now, string backup)
    {
        for (int i = 0; i < 200; i++) s.Pump(now += 20, o.Add);
        Assert.Equal(Enumerable.Range(0, 60).Select(p => Frame(p).Hash), o.Hashes);
        Assert.Equal(1, s.Failovers);
        Assert.Equal(backup, s.Playing);
    }

    [Fact]
    public void The_backup_is_the_healthy_encoder_the_election_prefers()
    {
        // y would be preferred but has been silent for longer than the encoder timeout; b and Z tie on priority: Z
        // comes first in ordinal order (ElectionRule.Compare); x has a lower priority.
        var s = new Splicer(Timing with { EncoderTimeout = 500 });
        s.Elect("a", 1, null);
        var o = new Out();
        long now = 0;
        for (long p = 0; p < 60; p++)
        {
            now = p * 23;
            if (p < 30) s.Offer("a", 1, (ulong)p, Frame(p), now);
            if (p < 5) s.Offer("y", 1, (ulong)(p + 50), Frame(p), now);
            s.Offer("b", 1, (ulong)(p + 10), Frame(p), now);
            s.Offer("Z", 1, (ulong)(p + 20), Frame(p), now);
            s.Offer("x", 1, (ulong)(p + 30), Frame(p), now);
            s.SetPriority("a", 200);
            s.SetPriority("y", 300);
            s.SetPriority("b", 100);
            s.SetPriority("Z", 100);
            s.SetPriority("x", 50);
            s.Pump(now, o.Add);
        }
        AssertFailedOverOnce(s, o, now, "Z");
    }

    [Fact]
    public void Independent_encoders_are_spliced_by_media_timestamp()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        long now = 0;
        for (long p = 0; p < 60; p++)
        {
            now = p * 23;
            if (p < 30) s.Offer("a", 1, (ulong)p, Frame(p, salt: 1), now);
            s.Offer("b", 2, (ulong)(p + 3), Frame(p, salt: 2), now); // other content, same timestamps
            s.Pump(now, o.Add);
        }
        for (int i = 0; i < 200; i++) s.Pump(now += 20, o.Add);
        var ts = o.Frames.Select(f => f.Ts).ToList();
        Assert.Equal(Enumerable.Range(0, 60).Select(p => 1_000_000 + p * Dur), ts);
        Assert.Equal("b", o.Frames[30].Encoder);
    }

    [Fact]
    public void Planned_switch_happens_at_the_switch_time_at_the_aligned_frame()
    {
        var s = new Splicer(Timing);
        s.Elect("b", 2, null);
        var o = new Out();
        for (long p = 0; p < 40; p++)
        {
            s.Offer("a", 1, (ulong)(p + 50), Frame(p), 0);
            s.Offer("b", 2, (ulong)p, Frame(p), 0);
        }
        s.Pump(500, o.Add);
        Assert.Equal(40, o.Frames.Count);
        for (long p = 40; p < 80; p++)
        {
            s.Offer("a", 1, (ulong)(p + 50), Frame(p), 600);
            s.Offer("b", 2, (ulong)p, Frame(p), 600);
        }
        s.Elect("a", 1, switchAtMicros: Frame(60).TimestampMicros);
        s.Pump(600, o.Add);
        Assert.Equal(Enumerable.Range(0, 80).Select(p => Frame(p).Hash), o.Hashes);
        Assert.All(o.Frames.Take(60), f => Assert.Equal("b", f.Encoder));
        Assert.All(o.Frames.Skip(60), f => Assert.Equal("a", f.Encoder));
        Assert.Equal(1, s.Switches);
    }

    [Fact]
    public void Without_a_backup_a_hole_is_skipped_after_hold_and_every_backfill_attempt()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        for (long p = 0; p < 10; p++) if (p is not (4 or 5)) s.Offer("a", 1, (ulong)p, Frame(p), 0);
        s.Pump(500, o.Add);
        s.Pump(950, o.Add); // first backfill request
        s.Pump(1300, o.Add); // none came: asked again
        s.Pump(1600, o.Add); // and a third time
        Assert.Equal(4, o.Frames.Count);
        Assert.Equal(Splicer.BackfillAttemptsBeforeGap, s.TakeBackfillRequests().Count(r => r.From == 4));
        s.Pump(1900, o.Add); // given up
        Assert.Equal([0UL, 1, 2, 3, 6, 7, 8, 9], o.Frames.Select(f => f.Seq));
        Assert.Equal(2, s.GapFrames);
    }

    [Fact]
    public void A_backfill_that_is_lost_is_asked_again_and_its_frames_fill_the_hole()
    {
        // The first request went to a relay that died while answering; the second reaches a live one.
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        for (long p = 0; p < 10; p++) if (p is not (4 or 5)) s.Offer("a", 1, (ulong)p, Frame(p), 0);
        s.Pump(500, o.Add);
        s.Pump(950, o.Add);
        Assert.Single(s.TakeBackfillRequests());
        s.Pump(1300, o.Add);
        var again = Assert.Single(s.TakeBackfillRequests());
        Assert.Equal((4UL, 2), (again.From, again.Count));
        s.Offer("a", 1, 4, Frame(4), 1350);
        s.Offer("a", 1, 5, Frame(5), 1350);
        s.Pump(1350, o.Add);
        Assert.Equal(Enumerable.Range(0, 10).Select(p => (ulong)p), o.Frames.Select(f => f.Seq));
        Assert.Equal(0, s.GapFrames);
    }

    [Fact]
    public void A_stalled_stream_keeps_asking_the_windows_less_and_less_often()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        for (long p = 0; p < 5; p++) s.Offer("a", 1, (ulong)p, Frame(p), 0);
        var asked = new List<long>();
        for (long t = 0; t <= 6000; t += 50)
        {
            s.Pump(t, o.Add);
            if (s.TakeBackfillRequests().Count > 0) asked.Add(t);
        }
        // Playing starts after the hold (400 ms); the missing frame is waited for another hold, then asked for, then
        // again after pauses of 300, 600, 1200 and 2400 ms (no longer: the next would be 2400 ms later too).
        Assert.Equal([800L, 1100, 1700, 2900, 5300], asked);
        Assert.Equal(5, o.Frames.Count);
        Assert.Equal(0, s.GapFrames);
    }

    [Fact]
    public void A_looping_programme_fails_over_once_and_never_replays_an_earlier_pass()
    {
        // Both encoders loop a 100-frame programme (content repeats every 100 frames, well inside the ring).
        static SpliceFrame Looped(long p) => new(new byte[] { (byte)p }, 1_000_000 + p * Dur, Dur, (ulong)(p % 100) * 7919UL + 1);
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        s.SetPriority("a", 200);
        var o = new Out();
        long now = 0;
        for (long p = 0; p < 400; p++)
        {
            now = p * 23;
            if (p < 250) s.Offer("a", 1, (ulong)p, Looped(p), now);
            s.Offer("b", 2, (ulong)(p + 7), Looped(p), now);
            s.SetPriority("b", 100);
            s.Pump(now, o.Add);
        }
        for (int i = 0; i < 300; i++) s.Pump(now += 20, o.Add);
        var positions = o.Frames.Select(f => (long)((f.Hash - 1) / 7919UL)).ToList();
        for (int i = 1; i < positions.Count; i++) Assert.Equal((positions[i - 1] + 1) % 100, positions[i]);
        Assert.Equal(1, s.Failovers);
        Assert.Equal(0, s.Switches);
        Assert.InRange(o.Frames.Count, 380, 400);
    }

    /// <summary>Programme position p as a 400-byte frame (a 128 kbps MP3 frame's size), its content p as in <see cref="Frame"/>.</summary>
    private static SpliceFrame Sized(long position, long timestampBase = 1_000_000) =>
        Frame(position, timestampBase) with { Data = new byte[400] };

    [Fact]
    public void Encoders_in_step_keep_only_the_bytes_the_splicer_can_still_take()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        var o = new Out();
        for (long p = 0; p < 2000; p++)
        {
            long now = p * 23;
            s.Offer("a", 1, (ulong)p, Sized(p), now);
            s.Offer("b", 2, (ulong)(p + 7), Sized(p, timestampBase: 5_000_000), now);
            s.Pump(now, o.Add);
        }
        Assert.Equal(2000, o.Frames.Count);
        var a = s.Tracks.Single(t => t.Name == "a");
        var b = s.Tracks.Single(t => t.Name == "b");
        // The one playing: the block written to and the one before it at most. The other: from its aligned frame less
        // the margin. Without releasing, each would hold its newest 512 frames (about 200 KB).
        Assert.InRange(a.HeldBytes, 1, 2 * BlockPool.BlockBytes);
        Assert.InRange(b.HeldBytes, 1, (Splicer.ReleaseMargin * 400 / BlockPool.BlockBytes + 3) * BlockPool.BlockBytes);
    }

    [Fact]
    public void A_backup_seconds_ahead_keeps_its_bytes_from_the_aligned_frame_and_takes_over_without_a_break()
    {
        var s = new Splicer(Timing);
        s.Elect("a", 1, null);
        s.SetPriority("a", 200);
        var o = new Out();
        long now = 0;
        // b carries the same programme 200 frames (4.6 s) ahead of a; a stops after position 599.
        for (long p = 0; p < 800; p++)
        {
            now = p * 23;
            if (p < 600) s.Offer("a", 1, (ulong)p, Sized(p), now);
            s.Offer("b", 2, (ulong)(p + 200 + 5000), Sized(p + 200, timestampBase: 5_000_000), now);
            s.SetPriority("b", 100);
            s.Pump(now, o.Add);
            if (p == 599) Assert.True(s.Tracks.Single(t => t.Name == "b").HeldBytes >= 200 * 400, "b's frames ahead of the programme");
        }
        for (int i = 0; i < 200; i++) s.Pump(now += 20, o.Add);
        // Positions 0 to 999 without a break: a's 600, then b's from 600 on, which b had sent before a stopped.
        Assert.Equal(Enumerable.Range(0, 1000).Select(p => Frame(p).Hash), o.Hashes);
        Assert.Equal(1, s.Failovers);
        Assert.Equal("b", s.Playing);
    }

}
