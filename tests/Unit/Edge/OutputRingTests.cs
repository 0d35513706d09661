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
            ring.Append(frames[i].Data, (ulong)i, t);
            t += frames[i].Parameters.FrameDurationMicros;
        }
        // ffmpeg's AAC encoder aims at the average; any 256 frames land within a few kbps of it.
        Assert.InRange(ring.MeasuredBitrateKbps(frames[0].Parameters.FrameDurationMicros), kbps - 4, kbps + 4);
    }

    [Fact]
    public void Stream_positions_count_every_byte_appended_and_burst_starts_on_a_frame()
    {
        var ring = new OutputRing(8);
        for (int i = 0; i < 20; i++) ring.Append(new byte[100 + i], (ulong)i, i * 1000);
        long expected = Enumerable.Range(0, 20).Sum(i => 100 + i);
        Assert.Equal(expected, ring.BytesOut);
        Assert.Equal(expected - 119, ring.StartOffset(19));
        long start = ring.BurstStart(250);
        Assert.Equal(18, start);
        Assert.Equal(expected - 119 - 118, ring.StartOffset(start));
        // Not held any more (overwritten) or not written yet: the newest position.
        Assert.Equal(expected, ring.StartOffset(3));
        Assert.Equal(expected, ring.StartOffset(25));
    }
}
