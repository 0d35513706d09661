using CsCheck;
using Davecast.Tests.Frames;
using Davecast.Tests.Support;

namespace Davecast.Tests.Fuzz;

/// <summary>Real frames of the fixtures among garbage, cut at random points: every real frame comes back, in order.</summary>
public sealed class FrameSplitterProperties
{
    private static readonly int Iterations = PropertyRuns.Inputs;

    private static readonly byte[][][] Fixtures =
        [.. new[] { "programme.aac", "programme.mp3" }.Select(f => Split.Whole(File.ReadAllBytes(Repo.Fixture(f))).Frames.Select(x => x.Data).ToArray())];

    // Bytes that start neither a frame header (0xFF) nor a tag ('I', 'T'): garbage that cannot pass for a frame.
    private static readonly Gen<byte[]> Garbage = Gen.Byte.Where(b => b is not (0xFF or (byte)'I' or (byte)'T')).Array[0, 48];

    // Runs of 2-4 consecutive frames of one fixture (a lone frame between garbage is not told from a fake one), garbage around them.
    private static readonly Gen<(byte[] Stream, long[] Offsets)> Streams =
        Gen.Int[0, 1].SelectMany(f => Gen.Select(Gen.Int[0, Fixtures[f].Length - 4], Gen.Int[2, 4], Garbage).Array[1, 3]
            .Select(Garbage, (runs, tail) => Build(Fixtures[f], runs, tail)));

    private static (byte[], long[]) Build(byte[][] frames, (int Start, int Count, byte[] Before)[] runs, byte[] tail)
    {
        var stream = new List<byte>();
        var offsets = new List<long>();
        foreach (var (start, count, before) in runs)
        {
            stream.AddRange(before);
            for (int i = start; i < start + count; i++)
            {
                offsets.Add(stream.Count);
                stream.AddRange(frames[i]);
            }
        }
        stream.AddRange(tail);
        return ([.. stream], [.. offsets]);
    }

    [Fact]
    public void Every_real_frame_comes_back_in_order_whatever_the_garbage_and_the_cuts() =>
        Bounded.Run(() => Gen.Select(Streams, Gen.Int, Gen.Int[1, 600]).Sample((s, seed, maxChunk) =>
        {
            var whole = Split.Whole(s.Stream);
            // SequenceEqual, not Assert.Equal on collections: the same check, cheap at 10^5 inputs.
            if (!whole.Frames.Select(f => f.Offset).SequenceEqual(s.Offsets))
                Assert.Fail($"frames at {string.Join(", ", whole.Frames.Select(f => f.Offset))}, expected {string.Join(", ", s.Offsets)}");
            Split.AssertSame(whole, Split.Chunked(s.Stream, seed, maxChunk));
        }, iter: Iterations), "the splitter property");
}
