using System.Buffers;
using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>One frame the splitter returned, with its offset in the whole stream.</summary>
public sealed record SplitFrame(long Offset, byte[] Data, CodecParameters Parameters);

public sealed record SplitResult(IReadOnlyList<SplitFrame> Frames, long SkippedBytes, long TagBytes, CodecKind Codec)
{
    public long FrameBytes => Frames.Sum(f => (long)f.Data.Length);
}

/// <summary>Drives a <see cref="FrameSplitter"/> over a whole buffer or over chunks of it.</summary>
public static class Split
{
    public static SplitResult Whole(byte[] data, CodecKind codec = CodecKind.Unknown)
    {
        var splitter = new FrameSplitter(codec);
        var all = new ReadOnlySequence<byte>(data);
        var buffer = all;
        var frames = new List<SplitFrame>();
        while (splitter.TryReadFrame(ref buffer, isFinalBlock: true, out var frame, out var parameters))
        {
            frames.Add(new SplitFrame(all.GetOffset(frame.Start), frame.ToArray(), parameters));
        }

        Assert.True(buffer.IsEmpty, "a final block must be consumed entirely");
        Assert.Equal(frames.Count, splitter.FrameCount);
        Assert.Equal(data.Length, splitter.SkippedBytes + splitter.TagBytes + frames.Sum(f => (long)f.Data.Length));
        return new SplitResult(frames, splitter.SkippedBytes, splitter.TagBytes, splitter.Codec);
    }

    /// <summary>
    /// Feeds the data in random-sized chunks (1..maxChunk), each appended as a new segment, so that
    /// headers and frames straddle segment boundaries. The last call says isFinalBlock.
    /// </summary>
    public static SplitResult Chunked(byte[] data, int seed, int maxChunk, CodecKind codec = CodecKind.Unknown)
    {
        var rng = new Random(seed);
        var splitter = new FrameSplitter(codec);
        var frames = new List<SplitFrame>();
        Segment? first = null;
        Segment? last = null;
        var buffer = ReadOnlySequence<byte>.Empty;
        int fed = 0;
        while (true)
        {
            bool final = fed == data.Length;
            if (!final)
            {
                int n = Math.Min(rng.Next(1, maxChunk + 1), data.Length - fed);
                var segment = new Segment(data.AsMemory(fed, n), fed);
                fed += n;
                if (last is null)
                {
                    first = last = segment;
                    buffer = new ReadOnlySequence<byte>(segment, 0, segment, n);
                }
                else
                {
                    last.Next = segment;
                    last = segment;
                    // The kept buffer still points into the chain: extend its end to the new segment.
                    buffer = new ReadOnlySequence<byte>((Segment)buffer.Start.GetObject()!, buffer.Start.GetInteger(), segment, n);
                }
            }

            long before = buffer.Length;
            while (splitter.TryReadFrame(ref buffer, final, out var frame, out var parameters))
            {
                var position = frame.Start;
                long offset = ((Segment)position.GetObject()!).RunningIndex + position.GetInteger();
                frames.Add(new SplitFrame(offset, frame.ToArray(), parameters));
            }

            Assert.True(buffer.Length <= before);
            if (final)
            {
                Assert.True(buffer.IsEmpty, "a final block must be consumed entirely");
                break;
            }
        }

        Assert.NotNull(first);
        return new SplitResult(frames, splitter.SkippedBytes, splitter.TagBytes, splitter.Codec);
    }

    public static void AssertSame(SplitResult expected, SplitResult actual)
    {
        Assert.Equal(expected.Frames.Count, actual.Frames.Count);
        for (int i = 0; i < expected.Frames.Count; i++)
        {
            var e = expected.Frames[i];
            var a = actual.Frames[i];
            // Messages built only on failure: the properties call this for every frame of 10^5 inputs.
            if (e.Offset != a.Offset) Assert.Fail($"frame {i}: offset {a.Offset}, expected {e.Offset}");
            if (!e.Data.AsSpan().SequenceEqual(a.Data)) Assert.Fail($"frame {i} at {e.Offset}: bytes differ");
            if (e.Parameters != a.Parameters) Assert.Fail($"frame {i} at {e.Offset}: parameters {a.Parameters}, expected {e.Parameters}");
        }

        Assert.Equal(expected.SkippedBytes, actual.SkippedBytes);
        Assert.Equal(expected.TagBytes, actual.TagBytes);
        Assert.Equal(expected.Codec, actual.Codec);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public new Segment? Next
        {
            get => (Segment?)base.Next;
            set => base.Next = value;
        }
    }
}
