using Davecast.Frames;

namespace Davecast.Tests.Frames;

/// <summary>Resync over garbage: every real frame comes back, no false frame does.</summary>
public sealed class GarbageTests
{
    public static IEnumerable<object[]> Cases =>
        GeneratedMedia.Catalogue.Select((spec, i) => new object[] { spec.Id, 1000 + i });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_frame_is_recovered_and_only_garbage_is_skipped(string id, int seed)
    {
        var file = GeneratedMedia.Get(id);
        var garbled = GarbledStream.Build(file, seed);
        Assert.True(garbled.GarbageBlocks >= 5, $"only {garbled.GarbageBlocks} garbage blocks");
        Assert.True(garbled.FakeHeaders >= 3, $"only {garbled.FakeHeaders} fake headers");

        var result = Split.Whole(garbled.Data);
        AssertExpected(garbled, result);
        Assert.Equal(file.Spec.Codec, result.Codec);
        Assert.All(result.Frames, f => Assert.Equal(file.Spec.SampleRate, f.Parameters.SampleRate));

        // Knowing the codec changes nothing here.
        Split.AssertSame(result, Split.Whole(garbled.Data, file.Spec.Codec));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Chunked_input_gives_the_same_frames_as_one_buffer(string id, int seed)
    {
        var garbled = GarbledStream.Build(GeneratedMedia.Get(id), seed);
        var whole = Split.Whole(garbled.Data);
        Split.AssertSame(whole, Split.Chunked(garbled.Data, seed, maxChunk: 13));
        Split.AssertSame(whole, Split.Chunked(garbled.Data, seed + 1, maxChunk: 1500));
    }

    private static void AssertExpected(GarbledStream garbled, SplitResult result)
    {
        var expected = garbled.Expected;
        var byOffset = result.Frames.ToDictionary(f => f.Offset);
        var missing = expected.Where(e => !byOffset.ContainsKey(e.Offset)).Select(e => e.Offset).ToList();
        var expectedOffsets = expected.Select(e => e.Offset).ToHashSet();
        var extra = result.Frames.Where(f => !expectedOffsets.Contains(f.Offset)).Select(f => f.Offset).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"missing frames at [{string.Join(", ", missing.Take(10))}], false frames at [{string.Join(", ", extra.Take(10))}]");

        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Data.AsSpan().SequenceEqual(result.Frames[i].Data), $"frame {i}: bytes differ");
        }

        Assert.Equal(garbled.GarbageBytes, result.SkippedBytes);
        Assert.Equal(garbled.TagBytes, result.TagBytes);
    }
}
