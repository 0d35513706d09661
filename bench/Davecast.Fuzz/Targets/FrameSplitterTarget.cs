using Davecast.Frames;
using Davecast.Tests.Frames;
using Davecast.Tests.Support;

namespace Davecast.Fuzz;

/// <summary>
/// Input: byte 0 picks the codec the splitter is given (unknown, AAC, MPEG), byte 1 the largest chunk, byte 2 the
/// chunking's seed; the rest is the stream. Split whole and in chunks, the two must agree (Split's own checks:
/// a final block consumed entirely, every byte a frame, a tag or skipped garbage).
/// </summary>
public static class FrameSplitterTarget
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 4) return;
        var codec = (CodecKind)(input[0] % 3);
        int maxChunk = 1 + input[1];
        var data = input[3..].ToArray();
        var whole = Split.Whole(data, codec);
        var chunked = Split.Chunked(data, input[2], maxChunk, codec);
        Split.AssertSame(whole, chunked);
        foreach (var frame in whole.Frames)
        {
            var format = FrameFormats.Detect(frame.Data, out int length, out var parameters);
            FuzzFinding.Unless(format is not null && length == frame.Data.Length && parameters == frame.Parameters,
                $"the frame at {frame.Offset} does not parse as the frame it was returned as");
        }
    }

    public static IEnumerable<(string, byte[])> Seeds()
    {
        foreach (var (name, codec) in new[] { ("programme.aac", 1), ("programme.mp3", 2) })
        {
            var fixture = File.ReadAllBytes(Repo.Fixture(name));
            yield return ($"{name}-head", [0, 255, 7, .. fixture.AsSpan(0, 2048)]);
            yield return ($"{name}-known", [(byte)codec, 31, 3, .. fixture.AsSpan(4096, 1024)]);
        }
        // An ID3v2 tag (20 bytes of body), MPEG frames, an ID3v1 trailer: the tags the splitter skips.
        var mp3 = File.ReadAllBytes(Repo.Fixture("programme.mp3"));
        byte[] id3v2 = [(byte)'I', (byte)'D', (byte)'3', 4, 0, 0, 0, 0, 0, 20, .. new byte[20]];
        byte[] id3v1 = [(byte)'T', (byte)'A', (byte)'G', .. new byte[125]];
        yield return ("tagged.mp3", [0, 63, 1, .. id3v2, .. mp3.AsSpan(0, 1300), .. id3v1]);
    }
}
