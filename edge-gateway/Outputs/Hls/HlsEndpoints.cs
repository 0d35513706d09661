using System.Globalization;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Http;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// HLS over HTTP, per mount: <c>GET /MOUNT.m3u8</c> (the media playlist), <c>GET /MOUNT/N.aac</c> or <c>.mp3</c> (its
/// segments) and <c>GET /MOUNT.multivariant.m3u8</c> (this edge and its <c>--hls-peer</c>s as redundant variants),
/// with the Icecast stream's CORS headers. Playlist and segment requests count the client as an HLS listener. A mount
/// behind a listener authentication hook (<c>--listener-auth-url</c>) is not offered as HLS: the hook admits connections.
/// </summary>
public sealed class HlsEndpoints(MountCatalog catalog, ListenerEndpoint listeners, IOptions<EdgeOptions> options)
{
    private readonly EdgeOptions _options = options.Value;

    public void Map(WebApplication app)
    {
        // Before the mounts' catch-all route, which would otherwise take these paths as mount names.
        app.MapMethods("/{**path:regex(\\.m3u8$)}", ["GET", "HEAD"], (Func<HttpContext, string, IResult>)Playlist).WithOrder(-1);
        app.MapMethods("/{**path:regex(/[0-9]+\\.(aac|mp3)$)}", ["GET", "HEAD"], (Func<HttpContext, string, Task>)SegmentAsync).WithOrder(-1);
    }

    public IResult Playlist(HttpContext context, string path)
    {
        CorsPolicy.Apply(context.Response.Headers);
        bool multivariant = path.EndsWith(MultivariantPlaylist.Suffix, StringComparison.OrdinalIgnoreCase);
        string mount = path[..^(multivariant ? MultivariantPlaylist.Suffix.Length : ".m3u8".Length)];
        if (!listeners.TryGetPlayable(mount, out var feed) || Protected(feed)) return NotFound(mount);
        if (feed.Hls is not { } output) return NotServed(mount);
        context.Response.Headers.CacheControl = "no-cache";
        var codec = feed.Parameters!.Value;
        if (multivariant)
            return Results.Text(MultivariantPlaylist.Write(feed.Mount, codec, feed.BitrateKbps, _options.HlsPeers), MediaPlaylist.ContentType);
        Seen(context, feed);
        return Results.Text(MediaPlaylist.Write(output.Window, output.TargetDuration, feed.Mount, MediaPlaylist.Extension(codec.Codec)), MediaPlaylist.ContentType);
    }

    public Task SegmentAsync(HttpContext context, string path)
    {
        int slash = path.LastIndexOf('/');
        int dot = path.LastIndexOf('.');
        string mount = path[..slash];
        // Not a segment of a mount here: perhaps a mount whose name looks like one.
        if (!catalog.TryGet(mount, out var feed)) return listeners.ServeAsync(context, path);
        CorsPolicy.Apply(context.Response.Headers);
        if (!feed.Playable || Protected(feed) || feed.Parameters is not { } codec
            || !long.TryParse(path.AsSpan(slash + 1, dot - slash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence)
            || !path.AsSpan(dot).Equals(MediaPlaylist.Extension(codec.Codec), StringComparison.OrdinalIgnoreCase)
            || feed.Hls is not { } output || !output.Window.TryGet(sequence, out var segment) || segment.Gap)
            return NotFound(mount).ExecuteAsync(context);
        Seen(context, feed);
        // A segment's bytes never change: any cache may keep it for as long as a playlist could list it.
        context.Response.Headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={output.TargetDuration * (_options.HlsWindow + 1)}");
        return Results.Bytes(segment.Data, codec.ContentType).ExecuteAsync(context);
    }

    private bool Protected(MountFeed feed) => _options.ListenerAuth.For(feed.Mount) is not null;

    private static void Seen(HttpContext context, MountFeed feed) =>
        feed.HlsSessions.Seen(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());

    private static IResult NotServed(string mount) =>
        Results.Text($"This edge serves no HLS (it was started without --hls); /{mount} is served as an Icecast stream.\n", "text/plain", statusCode: StatusCodes.Status404NotFound);

    private static IResult NotFound(string mount) => Results.Text($"No HLS stream for mount /{mount} here.\n", "text/plain", statusCode: StatusCodes.Status404NotFound);
}
