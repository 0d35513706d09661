using Davecast.Frames;
using Davecast.Publisher.Pacing;

namespace Davecast.Tests.Publisher;

public sealed class PacerTests
{
    private static readonly CodecParameters Aac44 = new(CodecKind.Aac, 44100, 2, 0, 2, 4, 1024);
    private static readonly CodecParameters Aac48 = Aac44 with { SampleRate = 48000 };

    [Fact]
    public void Timestamps_count_samples_so_no_rounding_error_accumulates()
    {
        var pacer = new Pacer(1_000_000);
        for (long k = 0; k < 100_000; k++)
        {
            var stamp = pacer.Stamp(Aac44);
            Assert.Equal((ulong)k, stamp.Sequence);
            Assert.Equal(k * 1024 * 1_000_000 / 44100, stamp.OffsetMicros);
            Assert.Equal(1_000_000 + stamp.OffsetMicros, stamp.TimestampMicros);
        }
        // 100 000 frames of 23219.95 us: summing rounded durations would be 95 ms off by now.
        Assert.Equal(2_321_995_464L, pacer.NextOffsetMicros);
    }

    [Fact]
    public void A_new_sample_rate_goes_on_from_where_the_old_one_ended()
    {
        var pacer = new Pacer(0);
        for (int k = 0; k < 3; k++) pacer.Stamp(Aac44);
        long end = 3 * 1024 * 1_000_000L / 44100;
        Assert.Equal(end, pacer.Stamp(Aac48).OffsetMicros);
        Assert.Equal(end + 1024 * 1_000_000L / 48000, pacer.Stamp(Aac48).OffsetMicros);
        Assert.Equal(5UL, pacer.NextSequence);
    }

    [Fact]
    public void After_an_outage_late_frames_fall_due_at_once_and_their_timestamps_go_on_counting_frames()
    {
        // A live source was silent for 10 s: 430 frames late.
        var pacer = new Pacer(5_000_000, System.Diagnostics.Stopwatch.GetTimestamp() - 10 * System.Diagnostics.Stopwatch.Frequency);
        for (long k = 0; k < 400; k++)
        {
            Assert.True(pacer.WaitUntilAsync(pacer.NextOffsetMicros, CancellationToken.None).IsCompleted);
            Assert.Equal(5_000_000 + k * 1024 * 1_000_000 / 44100, pacer.Stamp(Aac44).TimestampMicros);
        }
    }

    [Fact]
    public async Task Waiting_for_each_frame_allocates_nothing_once_the_first_wait_was_made()
    {
        var pacer = new Pacer(0);
        using var session = new CancellationTokenSource();
        // The first wait makes the timer and the token's registration node; the waits after it reuse them.
        await pacer.WaitUntilAsync(pacer.ElapsedMicros + 1_000, session.Token);

        long allocated = 0;
        int waited = 0;
        for (int i = 0; i < 20; i++)
        {
            // Counted on the thread that starts the wait: a Task.Delay would allocate its promise, timer and node here.
            long before = GC.GetAllocatedBytesForCurrentThread();
            var wait = pacer.WaitUntilAsync(pacer.ElapsedMicros + 5_000, session.Token);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            if (!wait.IsCompleted) waited++;
            await wait;
        }

        Assert.Equal(0, allocated);
        Assert.True(waited > 0, "no wait was pending: nothing was measured");
    }

    [Fact]
    public async Task A_wait_ends_with_OperationCanceledException_when_the_session_stops()
    {
        var pacer = new Pacer(0);
        using var session = new CancellationTokenSource();
        var wait = pacer.WaitUntilAsync(pacer.ElapsedMicros + 60_000_000, session.Token);
        session.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await wait);
        Assert.True(pacer.WaitUntilAsync(pacer.ElapsedMicros + 60_000_000, session.Token).IsCanceled);
    }

    [Fact]
    public void A_deadline_already_past_does_not_wait()
    {
        var pacer = new Pacer(0);
        Assert.True(pacer.WaitUntilAsync(-1, CancellationToken.None).IsCompleted);
    }
}
