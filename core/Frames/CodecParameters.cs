using Davecast.Http;

namespace Davecast.Frames;

/// <summary>The two codec families Davecast carries.</summary>
public enum CodecKind : byte
{
    Unknown = 0,
    /// <summary>AAC in ADTS framing.</summary>
    Aac = 1,
    /// <summary>MPEG audio (MPEG-1, 2 and 2.5; Layer I, II and III).</summary>
    Mpeg = 2,
}

/// <summary>
/// Codec parameters as read from a frame header. The two rules that compare them live here:
/// <see cref="IsSpliceCompatibleWith"/> across encoders (or connections), <see cref="IsSameStreamAs"/> between
/// neighbouring frames of one stream.
/// </summary>
/// <param name="Codec">AAC (ADTS) or MPEG audio.</param>
/// <param name="SampleRate">Samples per second, per channel.</param>
/// <param name="Channels">Channel count (ADTS channel configuration 7 counts as 8).</param>
/// <param name="BitrateKbps">MPEG: the header's bitrate; AAC: 0 (ADTS does not carry one).</param>
/// <param name="ProfileOrLayer">AAC: audio object type (1 Main, 2 LC, 3 SSR, 4 LTP); MPEG: layer 1, 2 or 3.</param>
/// <param name="Version">MPEG: 10 for MPEG-1, 20 for MPEG-2, 25 for MPEG-2.5; AAC: 4 for MPEG-4, 2 for MPEG-2 (the ADTS ID bit).</param>
/// <param name="SamplesPerFrame">Samples per channel in one frame (1024 for AAC, 384/576/1152 for MPEG).</param>
public readonly record struct CodecParameters(
    CodecKind Codec,
    int SampleRate,
    int Channels,
    int BitrateKbps,
    int ProfileOrLayer,
    int Version,
    int SamplesPerFrame)
{
    /// <summary>The HTTP Content-Type a player expects for this codec.</summary>
    public string ContentType => ContentTypes.Of(Codec);

    /// <summary>Duration of one frame in microseconds (exact to the microsecond, rounded down).</summary>
    public long FrameDurationMicros => SampleRate == 0 ? 0 : SamplesPerFrame * 1_000_000L / SampleRate;

    /// <summary>
    /// Frames of one encoder can replace frames of another without the decoder noticing, and take the same media
    /// time: same codec, rate, channels, profile or layer, and samples per frame. The bitrate may differ, and so may
    /// the ADTS ID bit (MPEG-2 or MPEG-4 AAC), which decoders ignore. (For MPEG audio the version follows from the
    /// sample rate.)
    /// </summary>
    public bool IsSpliceCompatibleWith(in CodecParameters other) =>
        Codec == other.Codec && SampleRate == other.SampleRate && Channels == other.Channels
        && SamplesPerFrame == other.SamplesPerFrame && ProfileOrLayer == other.ProfileOrLayer;

    /// <summary>
    /// Two frame headers could be neighbours in one stream, which tells a real header from a sync word inside audio
    /// data: same codec, rate, channels, profile or layer, and version (for AAC, the ADTS ID bit). The bitrate
    /// (VBR) and, for AAC, the raw data blocks per ADTS frame may change from frame to frame.
    /// </summary>
    public bool IsSameStreamAs(in CodecParameters other) =>
        Codec == other.Codec && SampleRate == other.SampleRate && Channels == other.Channels
        && ProfileOrLayer == other.ProfileOrLayer && Version == other.Version;

    public override string ToString() => Codec switch
    {
        CodecKind.Aac => $"AAC ({AacProfileName}) {SampleRate} Hz, {Channels} ch",
        CodecKind.Mpeg => $"MPEG-{(Version == 10 ? "1" : Version == 20 ? "2" : "2.5")} Layer {new string('I', ProfileOrLayer)} {SampleRate} Hz, {Channels} ch, {BitrateKbps} kbps",
        _ => "unknown codec",
    };

    private string AacProfileName => ProfileOrLayer switch
    {
        1 => "Main",
        2 => "LC",
        3 => "SSR",
        4 => "LTP",
        _ => $"type {ProfileOrLayer}",
    };
}
