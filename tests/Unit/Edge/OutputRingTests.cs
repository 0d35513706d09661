using Davecast.Edge;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Edge;

public class OutputRingTests
{
    [Theory]
    [InlineData("programme.aac", 48)]
    [InlineData("programme.mp3", 128)]
    public void The_measured_bitrate_of_the_fixtures_is_their_encoding_rate(string fixture, int kbps)
    {
        var frames = FrameFile.ReadAll(Repo.Fixture(fixture));
        var ring = new OutputRing(1024);
        Assert.Equal(0, ring.MeasuredBitrateKbps(frames[0].Parameters.FrameDurationMicros));
        long t = 0;
        for (int i = 0; i < 600; i++)
        {
            ring.Append(frames[i].Data, (ulong)i, t, frames[i].Parameters.FrameDurationMicros);
            t += frames[i].Parameters.FrameDurationMicros;
        }
        // ffmpeg's AAC encoder aims at the average; any 256 frames land within a few kbps of it.
        Assert.InRange(ring.MeasuredBitrateKbps(frames[0].Parameters.FrameDurationMicros), kbps - 4, kbps + 4);
    }

    [Fact]
    public void Stream_positions_count_every_byte_appended_and_burst_starts_on_a_frame()
    {
        var ring = new OutputRing(8);
        for (int i = 0; i < 20; i++) ring.Append(new byte[100 + i], (ulong)i, i * 1000, 1000);
        long expected = Enumerable.Range(0, 20).Sum(i => 100 + i);
        Assert.Equal(expected, ring.BytesOut);
        Assert.Equal(expected - 119, ring.StartOffset(19));
        long start = ring.BurstStart(new BurstLimit(250, long.MaxValue));
        Assert.Equal(18, start);
        Assert.Equal(expected - 119 - 118, ring.StartOffset(start));
        // Not held any more (overwritten) or not written yet: the newest position.
        Assert.Equal(expected, ring.StartOffset(3));
        Assert.Equal(expected, ring.StartOffset(25));
    }

    [Theory]
    [InlineData("programme.aac")]
    [InlineData("programme.mp3")]
    public void A_burst_in_seconds_is_that_much_audio_whatever_the_bitrate(string fixture)
    {
        var frames = FrameFile.ReadAll(Repo.Fixture(fixture));
        var ring = new OutputRing(1024);
        long t = 0;
        for (int i = 0; i < 600; i++)
        {
            ring.Append(frames[i].Data, (ulong)i, t, frames[i].Parameters.FrameDurationMicros);
            t += frames[i].Parameters.FrameDurationMicros;
        }
        long frameMicros = frames[0].Parameters.FrameDurationMicros;
        var options = new EdgeOptions { BurstSeconds = 2.5 };
        long start = ring.BurstStart(BurstLimit.Of(options));
        // The newest frames whose durations add up to at most 2.5 s: one frame more would pass it.
        Assert.Equal(2_500_000 / frameMicros, ring.Head - start);

        // Both given: the smaller burst applies, here the bytes.
        options.BurstBytes = 4000;
        start = ring.BurstStart(BurstLimit.Of(options));
        long bytes = ring.BytesOut - ring.StartOffset(start);
        Assert.InRange(bytes, 1, 4000);
        Assert.True(bytes + frames[(int)start - 1].Data.Length > 4000, "one frame more would pass --burst-bytes");

        // Neither given: Icecast's 64 KiB.
        Assert.Equal(new BurstLimit(64 * 1024, long.MaxValue), BurstLimit.Of(new EdgeOptions()));
        // Seconds alone: never more than the listener queue limit, which would drop the listener at once.
        Assert.Equal(16384, BurstLimit.Of(new EdgeOptions { BurstSeconds = 30, ListenerQueueBytes = 16384 }).Bytes);
    }

    [Fact]
    public void A_burst_never_reaches_back_before_its_floor()
    {
        var ring = new OutputRing(64);
        for (int i = 0; i < 40; i++) ring.Append(new byte[100], (ulong)i, i * 1000, 1000);
        Assert.Equal(30, ring.BurstStart(new BurstLimit(long.MaxValue, long.MaxValue), floor: 30));
        Assert.Equal(35, ring.BurstStart(new BurstLimit(500, long.MaxValue), floor: 30));
    }
}
