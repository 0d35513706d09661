using System.Diagnostics;
using Davecast.Edge;
using Davecast.Edge.Outputs;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Edge.Splicing;
using Davecast.Frames;
using Davecast.Grains;

namespace Davecast.Tests.Edge;

/// <summary>A mount's outputs: what the splice feed gives them, and the Icecast output's write pacing.</summary>
public class MountOutputTests
{
    private const string M = "live";
    private const long Dur = 23_220;

    [Fact]
    public void Every_emitted_frame_reaches_every_output_in_order_with_its_title_then_a_flush()
    {
        var first = new RecordingOutput();
        var second = new RecordingOutput();
        var feed = Feed([first, second]);
        feed.Apply(Info());

        feed.Accept(Batch(0, 5, title: "First", titleFrom: 0));
        feed.Accept(Batch(5, 5, title: "Second", titleFrom: 7));
        // An operator's title applies from the next frame, and the source repeating its title does not undo it.
        feed.SetOperatorTitle("Operator", version: 1);
        feed.Accept(Batch(10, 3, title: "Second", titleFrom: 7));
        // An older operator title is ignored; the source's next title replaces the operator's from its frame.
        feed.SetOperatorTitle("Stale", version: 0);
        feed.Accept(Batch(13, 2, title: "Third", titleFrom: 13));

        Assert.Equal(Enumerable.Range(0, 15).Select(i => (ulong)i), first.Frames.Select(f => f.Sequence));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => 1_000_000 + i * Dur), first.Frames.Select(f => f.TimestampMicros));
        Assert.All(first.Frames, f => Assert.Equal((Dur, "enc", 4UL), (f.DurationMicros, f.Encoder, f.Session)));
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (byte)i), first.Frames.Select(f => f.Data.Span[0]));
        string?[] titles = [.. Enumerable.Repeat("First", 7), .. Enumerable.Repeat("Second", 3), .. Enumerable.Repeat("Operator", 3), "Third", "Third"];
        Assert.Equal(titles, first.Frames.Select(f => f.Title?.Title));
        Assert.Equal(first.Log, second.Log);
        // Every write is followed by the flush of its run, which counts it.
        Assert.Equal("F", first.Log[^1][..1]);
        Assert.Equal(15, first.Log.Where(l => l[0] == 'F').Sum(l => int.Parse(l[1..])));
        int sinceFlush = 0;
        foreach (var entry in first.Log)
        {
            if (entry[0] == 'W') sinceFlush++;
            else
            {
                Assert.Equal(sinceFlush, int.Parse(entry[1..]));
                sinceFlush = 0;
            }
        }
    }

    [Fact]
    public void Frames_wait_for_the_mounts_codec()
    {
        var output = new RecordingOutput();
        var feed = Feed([output]);
        feed.Accept(Batch(0, 5, title: null, titleFrom: 0));
        feed.Apply(Info());
        feed.Accept(Batch(5, 5, title: null, titleFrom: 0));
        Assert.Equal(Enumerable.Range(5, 5).Select(i => (ulong)i), output.Frames.Select(f => f.Sequence));
    }

    [Fact]
    public void The_icecast_output_wakes_its_listeners_at_most_once_per_write_interval()
    {
        var interval = TimeSpan.FromMilliseconds(200);
        long tick = Stopwatch.Frequency / 1000; // 1 ms
        long t0 = Stopwatch.GetTimestamp();
        var output = new IcecastOutput(new BurstLimit(64 * 1024, long.MaxValue), interval);
        var ring = output.Ring;

        var waiter = new RingWaiter();
        var waiting = ring.WaitForAsync(0, waiter);
        output.Write(Programme(0));
        Assert.False(waiting.IsCompleted);
        output.Flush(1, t0);
        Assert.True(waiting.IsCompleted);

        waiting = ring.WaitForAsync(1, waiter);
        output.Write(Programme(1));
        output.Flush(1, t0 + 100 * tick);
        Assert.False(waiting.IsCompleted); // within the interval: held back
        output.Flush(0, t0 + 199 * tick);
        Assert.False(waiting.IsCompleted);
        output.Flush(0, t0 + 201 * tick); // the interval passed: what was held goes out, though nothing new came
        Assert.True(waiting.IsCompleted);

        waiting = ring.WaitForAsync(2, waiter);
        output.Flush(0, t0 + 1000 * tick); // nothing written since: nobody is woken
        Assert.False(waiting.IsCompleted);
        Assert.Equal(2, ring.Head);
        Assert.Equal("T", ring.Title?.Title);
    }

    private static ProgrammeFrame Programme(int i) =>
        new(new byte[] { (byte)i, 1, 2 }, "enc", 1, (ulong)i, i * Dur, Dur, new TitleInfo("T"));

    private static SpliceFeed Feed(IMountOutput[] outputs)
    {
        // No hold (the first frames play at once) and a backfill wait long enough that no hole is given up here.
        var timing = new SplicerTiming(Hold: 0, BackfillWait: Stopwatch.Frequency * 3600, EncoderTimeout: Stopwatch.Frequency * 3, BackupWait: 0);
        return new SpliceFeed(M, timing, outputs, (_, _) => Task.CompletedTask, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    private static MountInfo Info() =>
        new(M, new CodecParameters(CodecKind.Aac, 44100, 2, 0, 2, 4, 1024), "enc", ["r"], [], new Dictionary<string, string>(), null, LiveSession: 4);

    private static MountBatch Batch(int from, int count, string? title, ulong titleFrom)
    {
        var data = new byte[count * 2];
        for (int i = 0; i < count; i++) (data[2 * i], data[2 * i + 1]) = ((byte)(from + i), 0xAA);
        var frames = new FrameBatch
        {
            Mount = M,
            Relay = "r",
            Encoder = "enc",
            Session = 4,
            Sequences = [.. Enumerable.Range(from, count).Select(i => (ulong)i)],
            Timestamps = [.. Enumerable.Range(from, count).Select(i => 1_000_000 + i * Dur)],
            Offsets = [.. Enumerable.Range(0, count + 1).Select(i => 2 * i)],
            Data = data,
            Title = title,
            TitleFrom = titleFrom,
            Durations = [.. Enumerable.Repeat((int)Dur, count)],
            Hashes = [.. Enumerable.Range(from, count).Select(i => (ulong)i * 7919 + 1)],
        };
        return new MountBatch { Mount = M, Relay = "r", BatchNumber = from, Encoders = [frames] };
    }

    /// <summary>Keeps what it is given: each frame (its bytes copied) and, in one log, "W" per write and "F{n}" per flush.</summary>
    private sealed class RecordingOutput : IMountOutput
    {
        public List<ProgrammeFrame> Frames { get; } = [];
        public List<string> Log { get; } = [];

        public void Write(in ProgrammeFrame frame)
        {
            Frames.Add(frame with { Data = frame.Data.ToArray() });
            Log.Add("W");
        }

        public void Flush(int frames, long now) => Log.Add($"F{frames}");
    }
}
