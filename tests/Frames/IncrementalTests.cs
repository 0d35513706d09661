namespace Davecast.Tests.Frames;

/// <summary>Feeding a file in random-sized pieces gives exactly what one buffer gives.</summary>
public sealed class IncrementalTests
{
    public static IEnumerable<object[]> Cases =>
        GeneratedMedia.Catalogue.Concat(GeneratedMedia.XingCatalogue).Select((spec, i) => new object[] { spec.Id, 2000 + i });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Chunks_give_the_same_frames(string id, int seed)
    {
        var file = GeneratedMedia.Get(id);
        var whole = Split.Whole(file.Data);
        Assert.NotEmpty(whole.Frames);
        Split.AssertSame(whole, Split.Chunked(file.Data, seed, maxChunk: 5));
        Split.AssertSame(whole, Split.Chunked(file.Data, seed + 1, maxChunk: 600));
        Split.AssertSame(whole, Split.Chunked(file.Data, seed + 2, maxChunk: 20000));
        Split.AssertSame(whole, Split.Chunked(file.Data, seed + 3, maxChunk: 1, codec: file.Spec.Codec));
    }
}
