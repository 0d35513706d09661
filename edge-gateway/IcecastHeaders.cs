using Davecast.Frames;
using Davecast.Http;

namespace Davecast.Edge;

/// <summary>The response headers Icecast 2.4 sends with a mount, built from the mount's state.</summary>
public static class IcecastHeaders
{
    public const string Server = "Davecast";

    /// <summary>The value of ice-audio-info (and of status-json's audio_info).</summary>
    public static string AudioInfo(CodecParameters p, int bitrateKbps) =>
        $"channels={p.Channels};samplerate={p.SampleRate}" + (bitrateKbps > 0 ? $";bitrate={bitrateKbps}" : "");

    /// <summary>The headers of a mount's 200 answer, CORS included.</summary>
    /// <param name="icyMetaInt">Bytes between ICY metadata blocks for a listener that asked for them; 0: none.</param>
    public static IEnumerable<KeyValuePair<string, string>> For(MountFeed feed, CodecParameters parameters, int icyMetaInt = 0)
    {
        yield return new("Content-Type", parameters.ContentType);
        yield return new("Cache-Control", "no-cache, no-store");
        yield return new("Expires", "Mon, 26 Jul 1997 05:00:00 GMT");
        yield return new("Pragma", "no-cache");
        foreach (var header in CorsPolicy.Headers) yield return header;
        var headers = feed.Info?.Headers ?? new Dictionary<string, string>();
        foreach (var (name, value) in headers)
            if (name.StartsWith("icy-", StringComparison.OrdinalIgnoreCase) && !name.Equals("icy-metaint", StringComparison.OrdinalIgnoreCase))
                yield return new(name.ToLowerInvariant(), value);
        int bitrate = feed.BitrateKbps;
        if (!headers.ContainsKey("icy-br") && bitrate > 0) yield return new("icy-br", $"{bitrate}");
        if (icyMetaInt > 0) yield return new("icy-metaint", $"{icyMetaInt}");
        yield return new("ice-audio-info", AudioInfo(parameters, bitrate));
    }
}
