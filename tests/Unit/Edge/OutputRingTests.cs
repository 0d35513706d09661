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
        var ring = new OutputRing(Bytes(64 * 1024));
        Assert.Equal(0, ring.MeasuredBitrateKbps(frames[0].Parameters.FrameDurationMicros));
        long t = 0;
        for (int i = 0; i < 600; i++)
        {
            ring.Append(frames[i].Data, t, frames[i].Parameters.FrameDurationMicros);
            t += frames[i].Parameters.FrameDurationMicros;
        }
        // ffmpeg's AAC encoder aims at the average; any 256 frames land within a few kbps of it.
        Assert.InRange(ring.MeasuredBitrateKbps(frames[0].Parameters.FrameDurationMicros), kbps - 4, kbps + 4);
    }

    [Fact]
    public void Stream_positions_count_every_byte_appended_and_burst_starts_on_a_frame()
    {
        var ring = new OutputRing(Bytes(250));
        for (int i = 0; i < 20; i++) ring.Append(new byte[100 + i], i * 1000, 1000);
        long expected = Enumerable.Range(0, 20).Sum(i => 100 + i);
        Assert.Equal(expected, ring.BytesOut);
        var start = ring.BurstStart(Bytes(250));
        Assert.Equal(18, start.Index);
        Assert.Equal(expected - 119 - 118, start.Offset);
        Assert.True(OutputRing.TryRead(ref start, out var frame));
        Assert.Equal(118, frame.Data.Length);
        Assert.Equal(expected - 119, frame.EndOffset);
        Assert.True(OutputRing.TryRead(ref start, out frame));
        Assert.Equal(expected, frame.EndOffset);
        Assert.False(OutputRing.TryRead(ref start, out _));
        Assert.Equal(20, start.Index);
    }

    [Fact]
    public void A_reader_gets_every_frame_in_order_across_chunks_while_the_ring_keeps_only_its_burst()
    {
        var ring = new OutputRing(Bytes(4096));
        var reader = ring.BurstStart(Bytes(4096));
        var rng = new Random(7);
        var written = new List<byte[]>();
        var read = new List<byte[]>();
        for (int i = 0; i < 3000; i++)
        {
            // Sizes from 1 byte to over a chunk, so chunks close both on bytes and on entries.
            var frame = new byte[i % 997 == 0 ? OutputChunk.DefaultBytes + 10 : rng.Next(1, 400)];
            rng.NextBytes(frame);
            written.Add(frame);
            ring.Append(frame, i, 1000);
            if (i % 37 == 0)
                while (OutputRing.TryRead(ref reader, out var f)) read.Add(f.Data.ToArray());
        }
        while (OutputRing.TryRead(ref reader, out var f)) read.Add(f.Data.ToArray());
        Assert.Equal(written.Count, read.Count);
        for (int i = 0; i < written.Count; i++) Assert.Equal(written[i], read[i]);
        Assert.Equal(ring.Head, reader.Index);
        Assert.Equal(ring.BytesOut, reader.Offset);
        // 3000 frames of about 200 bytes went through; the ring holds its burst and a chunk or two, not all of them.
        Assert.InRange(ring.RetainedBytes, 4096, 4096 + 3 * (OutputChunk.DefaultBytes + 10));
        // A new listener's burst still starts on a frame and covers at most the burst.
        var late = ring.BurstStart(Bytes(4096));
        Assert.InRange(ring.BytesOut - late.Offset, 1, 4096);
    }

    [Fact]
    public async Task A_reader_on_another_thread_reads_exactly_what_the_writer_wrote()
    {
        var ring = new OutputRing(Bytes(1024));
        var reader = ring.BurstStart(Bytes(0));
        const int frames = 200_000;
        long sum = 0, count = 0;
        var waiter = new RingWaiter();
        var task = Task.Run(async () =>
        {
            while (count < frames)
            {
                await ring.WaitForAsync(reader.Index, waiter);
                while (OutputRing.TryRead(ref reader, out var f))
                {
                    Assert.Equal(f.Data.Length, f.Data.Span[0]);
                    sum += f.Data.Length;
                    count++;
                }
            }
        });
        var buffer = new byte[256];
        for (int i = 0; i < frames; i++)
        {
            int length = 1 + i % 255;
            buffer[0] = (byte)length;
            ring.Append(buffer.AsSpan(0, length), i, 1000);
            if (i % 50 == 0) ring.Publish();
        }
        ring.Publish();
        await task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(frames, count);
        Assert.Equal(ring.BytesOut, sum);
    }

    [Fact]
    public async Task A_publish_wakes_every_one_of_hundreds_of_waiting_readers()
    {
        var ring = new OutputRing(Bytes(1024));
        const int readers = 200, frames = 300; // woken many times over
        var counts = new int[readers];
        // Every reader starts at the first frame.
        var starts = Enumerable.Range(0, readers).Select(_ => ring.BurstStart(Bytes(0))).ToArray();
        var tasks = Enumerable.Range(0, readers).Select(r => Task.Run(async () =>
        {
            var cursor = starts[r];
            var waiter = new RingWaiter();
            while (counts[r] < frames)
            {
                await ring.WaitForAsync(cursor.Index, waiter);
                while (OutputRing.TryRead(ref cursor, out var f))
                {
                    Assert.Equal((byte)counts[r], f.Data.Span[0]);
                    counts[r]++;
                }
            }
            OutputRing.Leave(ref cursor);
        })).ToArray();
        var frame = new byte[100];
        for (int i = 0; i < frames; i++)
        {
            frame[0] = (byte)i;
            ring.Append(frame, i, 1000);
            if (i % 10 == 9) ring.Publish();
            if (i % 50 == 49) await Task.Yield();
        }
        // Readers that were between reads at a publish wait for the next one: publish until all are done.
        await Wait.UntilAsync(() =>
        {
            ring.Publish();
            return tasks.All(t => t.IsCompleted);
        }, TimeSpan.FromSeconds(30), "every reader to read every frame");
        await Task.WhenAll(tasks);
        Assert.All(counts, c => Assert.Equal(frames, c));
    }

    [Fact]
    public void Once_its_burst_is_full_a_mount_without_listeners_allocates_nothing_per_frame()
    {
        var ring = new OutputRing(Bytes(64 * 1024));
        var frame = new byte[417];
        for (int i = 0; i < 2000; i++) ring.Append(frame, i * 26_122L, 26_122);
        long chunks = ring.ChunksAllocated;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 2000; i < 22_000; i++) ring.Append(frame, i * 26_122L, 26_122);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(chunks, ring.ChunksAllocated);
    }

    [Fact]
    public void Every_frame_is_read_with_its_own_title_when_titles_change_inside_chunks_and_chunks_are_written_again()
    {
        var ring = new OutputRing(Bytes(1000));
        TitleInfo?[] titles = [null, new("one"), new("two"), null, new("three")];
        // A title changes every 7 frames: at a chunk's first frame, inside chunks, back to none.
        TitleInfo? TitleOf(int i) => titles[i / 7 % titles.Length];
        var reader = ring.BurstStart(Bytes(0));
        for (int i = 0; i < 5000; i++)
        {
            ring.Append(Frame(i), i, 1000, TitleOf(i));
            if (i % 13 != 0) continue;
            while (OutputRing.TryRead(ref reader, out var f))
            {
                int n = (int)reader.Index - 1;
                Assert.Equal(Frame(n), f.Data.ToArray());
                Assert.Same(TitleOf(n), f.Title);
            }
        }
        OutputRing.Leave(ref reader);
        // The chunks a late listener reads have been written many times over.
        long chunks = ring.ChunksAllocated;
        for (int i = 5000; i < 9000; i++) ring.Append(Frame(i), i, 1000, TitleOf(i));
        Assert.Equal(chunks, ring.ChunksAllocated);
        var late = ring.BurstStart(Bytes(1000));
        while (OutputRing.TryRead(ref late, out var f)) Assert.Same(TitleOf((int)late.Index - 1), f.Title);
        Assert.Equal(9000, late.Index);
        Assert.Same(TitleOf(8999), ring.Title);
    }

    [Fact]
    public void A_listener_that_has_not_left_keeps_its_chunk_and_every_newer_one_from_being_written_again()
    {
        var ring = new OutputRing(Bytes(1000));
        for (int i = 0; i < 100; i++) ring.Append(Frame(i), i, 1000);
        var slow = ring.BurstStart(Bytes(1000));
        long first = slow.Index;
        // Far more than the burst goes by: the chunks the slow listener has still to read are new ones, never reused.
        long chunks = ring.ChunksAllocated;
        for (int i = 100; i < 5000; i++) ring.Append(Frame(i), i, 1000);
        Assert.True(ring.ChunksAllocated > chunks + 10, $"{ring.ChunksAllocated} chunks allocated");
        for (long i = first; i < 5000; i++)
        {
            Assert.True(OutputRing.TryRead(ref slow, out var f));
            Assert.Equal(Frame((int)i), f.Data.ToArray());
        }
        // Once it has left, old chunks are written again.
        OutputRing.Leave(ref slow);
        for (int i = 5000; i < 6000; i++) ring.Append(Frame(i), i, 1000);
        chunks = ring.ChunksAllocated;
        for (int i = 6000; i < 20_000; i++) ring.Append(Frame(i), i, 1000);
        Assert.Equal(chunks, ring.ChunksAllocated);
        var late = ring.BurstStart(Bytes(1000));
        while (OutputRing.TryRead(ref late, out var f)) Assert.Equal(Frame((int)(late.Index - 1)), f.Data.ToArray());
        Assert.Equal(20_000, late.Index);
    }

    [Fact]
    public void A_listener_left_thousands_of_chunks_behind_still_reads_every_frame_exactly()
    {
        var ring = new OutputRing(Bytes(1000));
        var stuck = ring.BurstStart(Bytes(0));
        var caughtUp = ring.BurstStart(Bytes(0));
        // About 2,000 chunks: past what the ring keeps track of for a listener that never leaves.
        for (int i = 0; i < 320_000; i++)
        {
            ring.Append(Frame(i), i, 1000);
            if (i % 100 == 0)
                while (OutputRing.TryRead(ref caughtUp, out var f)) Assert.Equal(Frame((int)(caughtUp.Index - 1)), f.Data.ToArray());
        }
        for (int i = 0; i < 320_000; i++)
        {
            Assert.True(OutputRing.TryRead(ref stuck, out var f));
            Assert.True(f.Data.Span.SequenceEqual(Frame(i)), $"frame {i}");
        }
    }

    // 100 bytes that say which frame they are.
    private static byte[] Frame(int i) => [.. BitConverter.GetBytes(i), .. new byte[96]];

    [Theory]
    [InlineData("programme.aac")]
    [InlineData("programme.mp3")]
    public void A_burst_in_seconds_is_that_much_audio_whatever_the_bitrate(string fixture)
    {
        var frames = FrameFile.ReadAll(Repo.Fixture(fixture));
        var options = new EdgeOptions { BurstSeconds = 2.5 };
        var ring = new OutputRing(BurstLimit.Of(options));
        long t = 0;
        for (int i = 0; i < 600; i++)
        {
            ring.Append(frames[i].Data, t, frames[i].Parameters.FrameDurationMicros);
            t += frames[i].Parameters.FrameDurationMicros;
        }
        long frameMicros = frames[0].Parameters.FrameDurationMicros;
        var start = ring.BurstStart(BurstLimit.Of(options));
        // The newest frames whose durations add up to at most 2.5 s: one frame more would pass it.
        Assert.Equal(2_500_000 / frameMicros, ring.Head - start.Index);

        // Both given: the smaller burst applies, here the bytes.
        options.BurstBytes = 4000;
        start = ring.BurstStart(BurstLimit.Of(options));
        long bytes = ring.BytesOut - start.Offset;
        Assert.InRange(bytes, 1, 4000);
        Assert.True(bytes + frames[(int)start.Index - 1].Data.Length > 4000, "one frame more would pass --burst-bytes");

        // Neither given: Icecast's 64 KiB.
        Assert.Equal(new BurstLimit(64 * 1024, long.MaxValue), BurstLimit.Of(new EdgeOptions()));
        // Seconds alone: never more than the listener queue limit, which would drop the listener at once.
        Assert.Equal(16384, BurstLimit.Of(new EdgeOptions { BurstSeconds = 30, ListenerQueueBytes = 16384 }).Bytes);
    }

    [Fact]
    public void A_burst_never_reaches_back_before_its_floor()
    {
        var ring = new OutputRing(Bytes(64 * 1024));
        for (int i = 0; i < 40; i++) ring.Append(new byte[100], i * 1000, 1000);
        Assert.Equal(30, ring.BurstStart(new BurstLimit(long.MaxValue, long.MaxValue), floor: 30).Index);
        Assert.Equal(35, ring.BurstStart(new BurstLimit(500, long.MaxValue), floor: 30).Index);
    }

    private static BurstLimit Bytes(long bytes) => new(bytes, long.MaxValue);
}
