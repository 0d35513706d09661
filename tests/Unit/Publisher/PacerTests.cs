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
    public void A_deadline_already_past_does_not_wait()
    {
        var pacer = new Pacer(0);
        Assert.True(pacer.WaitUntilAsync(-1, CancellationToken.None).IsCompleted);
    }
}
