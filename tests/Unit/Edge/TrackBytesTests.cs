using Davecast.Edge.Splicing;
using Davecast.Frames;

namespace Davecast.Tests.Edge;

public class TrackBytesTests
{
    private static byte[] Numbered(int n, int length)
    {
        var data = new byte[length];
        BitConverter.TryWriteBytes(data, n);
        return data;
    }

    [Fact]
    public void The_newest_frames_read_back_exactly_and_older_blocks_go_back_to_the_pool()
    {
        var pool = new BlockPool();
        var bytes = new TrackBytes(100, pool);
        var places = new FrameBytes.Place[1000];
        var rng = new Random(5);
        for (int i = 0; i < places.Length; i++) places[i] = bytes.Put(Numbered(i, rng.Next(4, 700)));
        for (int i = places.Length - 100; i < places.Length; i++)
        {
            Assert.True(bytes.TryRead(places[i], out var read), $"frame {i}");
            Assert.Equal(places[i].Length, read.Length);
            Assert.Equal(i, BitConverter.ToInt32(read.Span));
        }
        Assert.False(bytes.TryRead(places[0], out _));
        // At most 100 frames of up to 700 bytes, in blocks of 4 KiB, and the one being written.
        Assert.InRange(bytes.HeldBytes, 1, (100 * 700 / BlockPool.BlockBytes + 2) * BlockPool.BlockBytes);
        // Blocks circle: a thousand frames took far fewer blocks from the heap than they filled.
        Assert.True(pool.Free > 0);
        Assert.True(bytes.BlocksStarted > bytes.HeldBytes / BlockPool.BlockBytes + pool.Free);
    }

    [Fact]
    public void Released_frames_are_gone_and_later_ones_stay_while_the_block_written_to_is_kept()
    {
        var pool = new BlockPool();
        var bytes = new TrackBytes(512, pool);
        var places = Enumerable.Range(0, 200).Select(i => bytes.Put(Numbered(i, 418))).ToArray();
        long before = bytes.HeldBytes;
        bytes.ReleaseBefore(places[150].Position);
        Assert.True(bytes.HeldBytes < before);
        Assert.False(bytes.TryRead(places[100], out _));
        for (int i = 150; i < 200; i++)
        {
            Assert.True(bytes.TryRead(places[i], out var read), $"frame {i}");
            Assert.Equal(i, BitConverter.ToInt32(read.Span));
        }
        // Past everything: only the block written to stays, and the frames in it.
        bytes.ReleaseBefore(long.MaxValue);
        Assert.Equal(BlockPool.BlockBytes, bytes.HeldBytes);
        Assert.True(bytes.TryRead(places[199], out _));
        var next = bytes.Put(Numbered(200, 418));
        Assert.True(bytes.TryRead(next, out var last));
        Assert.Equal(200, BitConverter.ToInt32(last.Span));
    }

    [Fact]
    public void A_frame_longer_than_a_block_gets_one_of_its_own_and_the_pool_never_takes_it()
    {
        var pool = new BlockPool();
        var bytes = new TrackBytes(10, pool);
        var small = bytes.Put(Numbered(1, 100));
        var big = bytes.Put(Numbered(2, BlockPool.BlockBytes * 3 + 5));
        var after = bytes.Put(Numbered(3, 100));
        foreach (var (place, n) in new[] { (small, 1), (big, 2), (after, 3) })
        {
            Assert.True(bytes.TryRead(place, out var read));
            Assert.Equal(place.Length, read.Length);
            Assert.Equal(n, BitConverter.ToInt32(read.Span));
        }
        bytes.ReleaseBefore(after.Position);
        Assert.False(bytes.TryRead(big, out _));
        Assert.Equal(1, pool.Free); // the first block; the big one went to the GC
    }

    [Fact]
    public void The_newest_frames_stay_readable_past_4_GiB_of_stream()
    {
        var bytes = new TrackBytes(8, new BlockPool());
        PastFourGiB.Check(f => bytes.Put(f), bytes.TryRead);
        Assert.InRange(bytes.HeldBytes, 8 * BlockPool.BlockBytes, 9 * BlockPool.BlockBytes);
    }

    [Fact]
    public void A_track_holds_the_bytes_of_at_least_the_splicers_reach_and_knows_older_frames_only_by_hash()
    {
        var track = new EncoderTrack("a", 1);
        for (ulong s = 0; s < 3000; s++)
        {
            var data = BitConverter.GetBytes(s).Concat(new byte[200]).ToArray();
            Assert.True(track.Put(s, new SpliceFrame(data, (long)s * 23_000, 23_000, s + 1_000_000), 0));
        }
        for (ulong s = 3000 - Splicer.MaxContentLag; s < 3000; s++)
        {
            Assert.True(track.TryGet(s, out var f), $"frame {s}");
            Assert.Equal(s, BitConverter.ToUInt64(f.Data.Span));
            Assert.Equal((long)s * 23_000, f.TimestampMicros);
        }
        // Older frames, up to the track's capacity, are known by content for aligning encoders, without their bytes.
        ulong old = 3000 - EncoderTrack.DefaultCapacity + 10;
        Assert.True(track.TryFindHash(old + 1_000_000, out ulong found));
        Assert.Equal(old, found);
        Assert.False(track.TryGet(old, out _));
        Assert.False(track.TryFindHash(3000 - EncoderTrack.DefaultCapacity - 10 + 1_000_000, out _));
        Assert.InRange(track.HeldBytes, Splicer.MaxContentLag * 208, Splicer.MaxContentLag * 208 * 2);
    }}
