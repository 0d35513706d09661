namespace Davecast.Frames;

/// <summary>The known frame formats: by codec, or detected from a header (Content-Type: Davecast.Http.ContentTypes).</summary>
public static class FrameFormats
{
    // Detection order. Never two at once: ADTS needs layer bits 00, which MPEG audio reserves.
    private static readonly IFrameFormat[] Known = [MpegAudioFormat.Instance, AdtsFormat.Instance];

    /// <summary>The known formats, in the order <see cref="Detect"/> tries them.</summary>
    public static IReadOnlyList<IFrameFormat> All { get; } = Known.AsReadOnly();

    /// <summary>The most bytes any known format needs to parse a header.</summary>
    public static int MaxHeaderSize { get; } = Known.Max(f => f.HeaderSize);

    public static IFrameFormat For(CodecKind codec)
    {
        foreach (var format in Known)
        {
            if (format.Codec == codec)
            {
                return format;
            }
        }

        throw new ArgumentException($"No frame format for codec {codec}.", nameof(codec));
    }

    /// <summary>
    /// The format whose header starts <paramref name="frame"/> (a header or more), or null. Allocation-free.
    /// <paramref name="frameLength"/> is the whole frame's length, header included.
    /// </summary>
    public static IFrameFormat? Detect(ReadOnlySpan<byte> frame, out int frameLength, out CodecParameters parameters)
    {
        foreach (var format in Known)
        {
            if (format.TryParseHeader(frame, out frameLength, out parameters))
            {
                return format;
            }
        }

        frameLength = 0;
        parameters = default;
        return null;
    }
}
