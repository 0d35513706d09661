using System.Globalization;
using System.Text;

namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// A mount's HLS media playlist (RFC 8216, 4.3.3): a live playlist (no end) of the window's segments, each with its
/// program date-time (its media time, which the publishers stamp from the wall clock) and its URI relative to the
/// playlist: <c>/a/b.m3u8</c> lists <c>b/123.aac</c>, served as <c>/a/b/123.aac</c>.
/// </summary>
public static class MediaPlaylist
{
    public const string ContentType = "application/vnd.apple.mpegurl";

    public static string Write(HlsWindow window, int targetDuration, string mount, string extension)
    {
        var text = new StringBuilder(256 + 128 * window.Segments.Count);
        text.Append("#EXTM3U\n#EXT-X-VERSION:3\n");
        text.Append(CultureInfo.InvariantCulture, $"#EXT-X-TARGETDURATION:{targetDuration}\n");
        long first = window.Segments.Count > 0 ? window.Segments[0].Sequence : 0;
        text.Append(CultureInfo.InvariantCulture, $"#EXT-X-MEDIA-SEQUENCE:{first}\n");
        if (window.DiscontinuitySequence > 0)
            text.Append(CultureInfo.InvariantCulture, $"#EXT-X-DISCONTINUITY-SEQUENCE:{window.DiscontinuitySequence}\n");
        string name = Uri.EscapeDataString(mount[(mount.LastIndexOf('/') + 1)..]);
        foreach (var s in window.Segments)
        {
            if (s.Discontinuity) text.Append("#EXT-X-DISCONTINUITY\n");
            if (s.Gap) text.Append("#EXT-X-GAP\n");
            var start = DateTimeOffset.UnixEpoch.AddTicks(s.StartMicros * TimeSpan.TicksPerMicrosecond);
            text.Append("#EXT-X-PROGRAM-DATE-TIME:").Append(start.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append('\n');
            text.Append(CultureInfo.InvariantCulture, $"#EXTINF:{s.DurationMicros / 1e6:F3},\n");
            text.Append(name).Append('/').Append(s.Sequence.ToString(CultureInfo.InvariantCulture)).Append(extension).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The segments' file extension for a codec: packed audio's, as RFC 8216 3.4 names them.</summary>
    public static string Extension(Frames.CodecKind codec) => codec == Frames.CodecKind.Aac ? ".aac" : ".mp3";
}
