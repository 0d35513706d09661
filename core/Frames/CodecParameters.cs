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
/// Codec parameters as read from a frame header. Two encoders can be spliced only when
/// <see cref="IsSpliceCompatibleWith"/> holds.
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

    /// <summary>Frames of one encoder can replace frames of another without the decoder noticing.</summary>
    public bool IsSpliceCompatibleWith(in CodecParameters other) =>
        Codec == other.Codec && SampleRate == other.SampleRate && Channels == other.Channels
        && SamplesPerFrame == other.SamplesPerFrame && ProfileOrLayer == other.ProfileOrLayer;

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
