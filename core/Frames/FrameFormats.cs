namespace Davecast.Frames;

/// <summary>Finds the frame format of a codec or of an HTTP Content-Type.</summary>
public static class FrameFormats
{
    public static IFrameFormat For(CodecKind codec) => codec switch
    {
        CodecKind.Aac => AdtsFormat.Instance,
        CodecKind.Mpeg => MpegAudioFormat.Instance,
        _ => throw new ArgumentException($"No frame format for codec {codec}.", nameof(codec)),
    };

    private static readonly IFrameFormat[] Known = [AdtsFormat.Instance, MpegAudioFormat.Instance];

    /// <summary>Every frame format Davecast knows, in the order <see cref="Detect"/> tries them.</summary>
    public static IReadOnlyList<IFrameFormat> All => Known;

    /// <summary>
    /// The first known format whose header parses at the start of <paramref name="frame"/>, with the frame's length
    /// and parameters from that header; null when none does. Whether the frame is whole (<paramref name="frameLength"/>
    /// equal to its length) is the caller's check.
    /// </summary>
    public static IFrameFormat? Detect(ReadOnlySpan<byte> frame, out int frameLength, out CodecParameters parameters)
    {
        // An array, not the list: a foreach over the interface would allocate an enumerator per call.
        foreach (var format in Known)
        {
            if (format.TryParseHeader(frame, out frameLength, out parameters)) return format;
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

    /// <summary>Two neighbouring frames belong to one stream: same codec, rate, channels, and profile or version+layer.</summary>
    internal static bool AreConsistent(in CodecParameters a, in CodecParameters b) =>
        a.Codec == b.Codec && a.SampleRate == b.SampleRate && a.Channels == b.Channels
        && a.ProfileOrLayer == b.ProfileOrLayer && a.Version == b.Version;
}
