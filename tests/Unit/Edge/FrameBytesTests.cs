using Davecast.Frames;
using Davecast.Edge.Splicing;

namespace Davecast.Tests.Edge;

public class FrameBytesTests
{
    [Fact]
    public void The_newest_frames_read_back_exactly_and_the_buffer_holds_about_the_frames_asked_for()
    {
        var bytes = new FrameBytes(100);
        var rng = new Random(3);
        var frames = new List<(byte[] Data, FrameBytes.Place Place)>();
        for (int i = 0; i < 2000; i++)
        {
            var data = new byte[rng.Next(150, 250)];
            rng.NextBytes(data);
            frames.Add((data, bytes.Put(data)));
        }
        // Every one of the newest 100 is there, byte for byte; older ones in the buffer now in use are written over.
        for (int i = frames.Count - 100; i < frames.Count; i++)
        {
            Assert.True(bytes.TryRead(frames[i].Place, out var read), $"frame {i} of {frames.Count}");
            Assert.Equal(frames[i].Data, read.ToArray());
        }
        Assert.False(bytes.TryRead(frames[frames.Count - 400].Place, out _), $"400 frames back, with {bytes.Capacity} bytes");
        // About 100 frames of 200 bytes: not the 2000 frames put, nor a stride of the largest frame for each.
        Assert.InRange(bytes.Capacity, 100 * 200, 100 * 250 * 17 / 16 + 1);
    }

    [Fact]
    public void A_rising_bitrate_grows_the_buffer_and_frames_in_the_old_one_stay_readable_while_they_are_among_the_newest()
    {
        var bytes = new FrameBytes(50);
        var small = Enumerable.Range(0, 40).Select(i => bytes.Put(Enumerable.Repeat((byte)i, 100).ToArray())).ToList();
        int before = bytes.Capacity;
        var large = new List<(byte[] Data, FrameBytes.Place Place)>();
        for (int i = 0; i < 200; i++)
        {
            var data = Enumerable.Repeat((byte)i, 400).ToArray();
            large.Add((data, bytes.Put(data)));
            if (i == 5)
            {
                // The small frames went into a buffer retired before the writer came round to them: never written again.
                Assert.Equal(1, bytes.RetiredBuffers);
                Assert.True(bytes.TryRead(small[0], out var first));
                Assert.All(first.ToArray(), b => Assert.Equal(0, b));
                Assert.True(bytes.TryRead(small[^1], out var last));
                Assert.All(last.ToArray(), b => Assert.Equal(39, b));
            }
        }
        Assert.True(bytes.Capacity >= 50 * 400, $"capacity {bytes.Capacity} after 400-byte frames (was {before})");
        for (int i = large.Count - 50; i < large.Count; i++)
        {
            Assert.True(bytes.TryRead(large[i].Place, out var read), $"large frame {i}");
            Assert.Equal(large[i].Data, read.ToArray());
        }
        // Once the newest 50 all lie after it, the old buffer is let go.
        Assert.Equal(0, bytes.RetiredBuffers);
        Assert.False(bytes.TryRead(small[^1], out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_newest_frames_are_readable_whatever_their_sizes_do(int seed)
    {
        const int needed = 60;
        var bytes = new FrameBytes(needed);
        var rng = new Random(seed);
        var frames = new List<(byte[] Data, FrameBytes.Place Place)>();
        int size = 20;
        for (int i = 0; i < 5000; i++)
        {
            // Runs of silence-sized and music-sized frames, jumps both ways, and now and then one huge frame.
            if (i % 200 == 0) size = rng.Next(2) == 0 ? rng.Next(5, 30) : rng.Next(300, 1500);
            var data = new byte[i % 777 == 0 ? 20_000 : Math.Max(1, size + rng.Next(-size / 4, size / 4 + 1))];
            rng.NextBytes(data);
            frames.Add((data, bytes.Put(data)));
            for (int k = Math.Max(0, frames.Count - needed); k < frames.Count; k++)
            {
                Assert.True(bytes.TryRead(frames[k].Place, out var read), $"frame {k} after {i + 1} puts");
                Assert.True(read.Span.SequenceEqual(frames[k].Data), $"frame {k} after {i + 1} puts");
            }
        }
        // After a steady run of 100-byte frames the buffer has followed the bitrate down, and older frames are gone.
        for (int i = 0; i < 3000; i++) frames.Add((new byte[100], bytes.Put(new byte[100])));
        Assert.InRange(bytes.Capacity, needed * 100, 2 * needed * 100 * 17 / 16);
        Assert.False(bytes.TryRead(frames[frames.Count - 5 * needed].Place, out _));
    }

    [Fact]
    public void Constant_bitrate_frames_a_padding_byte_apart_stay_in_the_first_buffer_whichever_size_comes_first()
    {
        // 128 kbps MP3 at 44.1 kHz: frames of 418 bytes and now and then 417 (no padding byte); the first may be either.
        foreach (int first in new[] { 417, 418 })
        {
            var bytes = new FrameBytes(512);
            bytes.Put(new byte[first]);
            int capacity = bytes.Capacity;
            for (int i = 1; i < 20_000; i++) bytes.Put(new byte[i % 25 == 0 ? 417 : 418]);
            Assert.Equal(capacity, bytes.Capacity);
            Assert.Equal(0, bytes.RetiredBuffers);
            Assert.InRange(capacity, 512 * 418, 512 * 418 * 33 / 32);
        }
    }

    [Fact]
    public void The_newest_frames_stay_readable_after_more_than_4_GiB_of_stream()
    {
        var bytes = new FrameBytes(8);
        PastFourGiB.Check(f => bytes.Put(f), bytes.TryRead);
        Assert.InRange(bytes.Capacity, 8 * 4000, 8 * 4000 * 17 / 16);
    }
}
