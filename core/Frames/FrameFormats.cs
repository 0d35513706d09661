namespace Davecast.Frames;

/// <summary>The known frame formats: by codec, by HTTP Content-Type, or detected from a header.</summary>
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

    /// <summary>The codec of a Content-Type such as "audio/aacp" or "audio/mpeg; charset=x"; Unknown otherwise.</summary>
    public static CodecKind FromContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return CodecKind.Unknown;
        }

        ReadOnlySpan<char> type = contentType.AsSpan();
        int semicolon = type.IndexOf(';');
        if (semicolon >= 0)
        {
            type = type[..semicolon];
        }

        type = type.Trim();
        if (type.Equals("audio/aac", StringComparison.OrdinalIgnoreCase)
            || type.Equals("audio/aacp", StringComparison.OrdinalIgnoreCase)
            || type.Equals("audio/x-aac", StringComparison.OrdinalIgnoreCase))
        {
            return CodecKind.Aac;
        }

        if (type.Equals("audio/mpeg", StringComparison.OrdinalIgnoreCase)
            || type.Equals("audio/mp3", StringComparison.OrdinalIgnoreCase))
        {
            return CodecKind.Mpeg;
        }

        return CodecKind.Unknown;
    }
}
