using System.Globalization;
using System.Text;
using Davecast.Frames;

namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// A mount's multivariant playlist (RFC 8216, 4.3.4): this edge's media playlist and each <c>--hls-peer</c>'s, as
/// redundant variants (6.2.3): the same BANDWIDTH and CODECS, so that a player that loses one moves to the next.
/// </summary>
public static class MultivariantPlaylist
{
    /// <summary>The path suffix that asks for it: <c>/live.multivariant.m3u8</c> for mount <c>live</c>.</summary>
    public const string Suffix = ".multivariant.m3u8";

    public static string Write(string mount, CodecParameters codec, int bitrateKbps, IReadOnlyList<Uri> peers)
    {
        // Peak rate of a segment: the audio, and a margin for the ID3 tag; 128 kbps when the rate is not known yet.
        long bandwidth = (bitrateKbps > 0 ? bitrateKbps : 128) * 1000L * 105 / 100;
        string attributes = string.Create(CultureInfo.InvariantCulture, $"BANDWIDTH={bandwidth}") + (Codecs(codec) is { } c ? $",CODECS=\"{c}\"" : "");
        string path = string.Join('/', mount.Split('/').Select(Uri.EscapeDataString)) + ".m3u8";
        var text = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n");
        text.Append("#EXT-X-STREAM-INF:").Append(attributes).Append('\n').Append(path[(path.LastIndexOf('/') + 1)..]).Append('\n');
        foreach (var peer in peers)
            text.Append("#EXT-X-STREAM-INF:").Append(attributes).Append('\n').Append(new Uri(peer, path)).Append('\n');
        return text.ToString();
    }

    /// <summary>RFC 6381 codec name: AAC by its audio object type, MP3 as mp4a.40.34; none for other MPEG layers.</summary>
    private static string? Codecs(CodecParameters codec) => codec switch
    {
        { Codec: CodecKind.Aac } => $"mp4a.40.{codec.ProfileOrLayer}",
        { Codec: CodecKind.Mpeg, ProfileOrLayer: 3 } => "mp4a.40.34",
        _ => null,
    };
}
