namespace Davecast.Frames;

/// <summary>Finds the frame format of a codec.</summary>
public static class FrameFormats
{
    public static IFrameFormat For(CodecKind codec) => codec switch
    {
        CodecKind.Aac => AdtsFormat.Instance,
        CodecKind.Mpeg => MpegAudioFormat.Instance,
        _ => throw new ArgumentException($"No frame format for codec {codec}.", nameof(codec)),
    };

    /// <summary>Two neighbouring frames belong to one stream: same codec, rate, channels, and profile or version+layer.</summary>
    internal static bool AreConsistent(in CodecParameters a, in CodecParameters b) =>
        a.Codec == b.Codec && a.SampleRate == b.SampleRate && a.Channels == b.Channels
        && a.ProfileOrLayer == b.ProfileOrLayer && a.Version == b.Version;
}
