using System.Buffers;

namespace Davecast.Frames;

/// <summary>One frame copied out of a file, with the parameters of its header.</summary>
public sealed record ParsedFrame(byte[] Data, CodecParameters Parameters);

/// <summary>Whole-file splitting for tools and tests (allocates a copy per frame).</summary>
public static class FrameFile
{
    public static IReadOnlyList<ParsedFrame> ReadAll(ReadOnlySpan<byte> data, CodecKind codec = CodecKind.Unknown) =>
        Split(new ReadOnlySequence<byte>(data.ToArray()), codec);

    /// <summary>Reads a file and splits it; the codec is detected from the data.</summary>
    public static IReadOnlyList<ParsedFrame> ReadAll(string path) =>
        Split(new ReadOnlySequence<byte>(File.ReadAllBytes(path)), CodecKind.Unknown);

    private static List<ParsedFrame> Split(ReadOnlySequence<byte> buffer, CodecKind codec)
    {
        var splitter = new FrameSplitter(codec);
        var frames = new List<ParsedFrame>();
        while (splitter.TryReadFrame(ref buffer, isFinalBlock: true, out var frame, out var parameters))
        {
            frames.Add(new ParsedFrame(frame.ToArray(), parameters));
        }

        return frames;
    }
}
