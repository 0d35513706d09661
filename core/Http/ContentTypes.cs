using Davecast.Frames;

namespace Davecast.Http;

/// <summary>The HTTP Content-Types of the codecs Davecast carries, both ways.</summary>
public static class ContentTypes
{
    /// <summary>For messages: what a source may declare.</summary>
    public const string Accepted = "audio/aac, audio/aacp (AAC in ADTS) or audio/mpeg (MP3)";

    /// <summary>The Content-Type a player expects for <paramref name="codec"/>.</summary>
    public static string Of(CodecKind codec) => codec switch
    {
        CodecKind.Aac => "audio/aac",
        CodecKind.Mpeg => "audio/mpeg",
        _ => "application/octet-stream",
    };

    /// <summary>
    /// The codec a Content-Type such as "audio/aacp" or "AUDIO/MPEG; charset=x" names (every name encoders and
    /// servers use for AAC in ADTS or MPEG audio), or Unknown.
    /// </summary>
    public static CodecKind CodecOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return CodecKind.Unknown;
        var media = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return media switch
        {
            "audio/aac" or "audio/aacp" or "audio/x-aac" or "audio/x-aacp" or "audio/vnd.dlna.adts" => CodecKind.Aac,
            "audio/mpeg" or "audio/mp3" or "audio/x-mpeg" or "audio/mpa" or "audio/x-mp3" => CodecKind.Mpeg,
            _ => CodecKind.Unknown,
        };
    }
}
