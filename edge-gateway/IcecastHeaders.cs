using Davecast.Frames;

namespace Davecast.Edge;

/// <summary>The response headers Icecast 2.4 sends with a mount, built from the mount's state.</summary>
public static class IcecastHeaders
{
    public const string Server = "Davecast";

    public static IEnumerable<KeyValuePair<string, string>> For(MountFeed feed, CodecParameters parameters)
    {
        yield return new("Content-Type", parameters.ContentType);
        yield return new("Cache-Control", "no-cache, no-store");
        yield return new("Expires", "Mon, 26 Jul 1997 05:00:00 GMT");
        yield return new("Pragma", "no-cache");
        yield return new("Access-Control-Allow-Origin", "*");
        yield return new("Access-Control-Allow-Headers", "Origin, Accept, X-Requested-With, Content-Type, Icy-MetaData");
        yield return new("Access-Control-Allow-Methods", "GET, OPTIONS, HEAD");
        var headers = feed.Info?.Headers ?? new Dictionary<string, string>();
        foreach (var (name, value) in headers)
            if (name.StartsWith("icy-", StringComparison.OrdinalIgnoreCase) && !name.Equals("icy-metaint", StringComparison.OrdinalIgnoreCase))
                yield return new(name.ToLowerInvariant(), value);
        if (!headers.ContainsKey("icy-br") && parameters.BitrateKbps > 0) yield return new("icy-br", $"{parameters.BitrateKbps}");
        yield return new("ice-audio-info", $"channels={parameters.Channels};samplerate={parameters.SampleRate}"
            + (parameters.BitrateKbps > 0 ? $";bitrate={parameters.BitrateKbps}" : ""));
    }
}
