using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Davecast.Grains;
using Davecast.Http;
using Davecast.Security;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// The Icecast-compatible endpoints besides the mounts themselves: <c>/status-json.xsl</c> (Icecast's icestats
/// schema), <c>/admin/streamlist.txt</c> for Icecast slaves (relay credentials) and <c>/admin/metadata</c> for title
/// updates (admin credentials). The XML admin endpoints are <see cref="AdminXmlEndpoints"/>, the HTML page <see cref="StatusPage"/>.
/// </summary>
public sealed partial class IcecastEndpoints(
    MountCatalog catalog, IOptions<EdgeOptions> options, ILogger<IcecastEndpoints> logger)
{
    /// <summary>What status-json names the server, as Icecast puts its version there.</summary>
    public const string ServerId = "Davecast.Orleans (Icecast 2.4 compatible)";

    private readonly EdgeOptions _options = options.Value;
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public void Map(WebApplication app)
    {
        app.MapGet("/status-json.xsl", (Func<HttpContext, IResult>)Status);
        app.MapGet("/admin/streamlist.txt", (Func<HttpContext, IResult>)StreamList);
        app.MapGet("/admin/metadata", (Func<HttpContext, Task<IResult>>)MetadataAsync);
        app.MapMethods("/{**path}", ["OPTIONS"], (HttpContext context) =>
        {
            CorsPolicy.Apply(context.Response.Headers);
            context.Response.Headers.Allow = CorsPolicy.Methods;
            return Results.Ok();
        });
    }

    /// <summary>Icecast 2.4's status-json.xsl: "source" is one object for one mount, an array for several, absent for none.</summary>
    public IResult Status(HttpContext context)
    {
        CorsPolicy.Apply(context.Response.Headers);
        var feeds = Playable.ToList();
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("icestats");
            json.WriteString("admin", _options.AdminContact);
            json.WriteString("host", _options.Hostname);
            json.WriteString("location", _options.Location);
            json.WriteString("server_id", ServerId);
            json.WriteString("server_start", Rfc822(_started));
            json.WriteString("server_start_iso8601", Iso8601(_started));
            if (feeds.Count == 1)
            {
                json.WritePropertyName("source");
                WriteSource(json, feeds[0]);
            }
            else if (feeds.Count > 1)
            {
                json.WriteStartArray("source");
                foreach (var f in feeds) WriteSource(json, f);
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Results.Bytes(body.ToArray(), "application/json; charset=utf-8");
    }

    private void WriteSource(Utf8JsonWriter json, MountFeed feed)
    {
        json.WriteStartObject();
        foreach (var (name, value) in SourceFields(feed))
        {
            if (value is long number) json.WriteNumber(name, number);
            else json.WriteString(name, (string)value);
        }
        json.WriteNull("dummy");
        json.WriteEndObject();
    }

    /// <summary>
    /// A mount's icestats fields, in Icecast's (alphabetical) order, as status-json and <c>/admin/stats</c> both give
    /// them: each value a string or a long; a field with nothing to say is left out. <c>listeners</c> counts HLS
    /// listeners too, which <c>hls_listeners</c> (not Icecast's) gives alone.
    /// </summary>
    public IEnumerable<(string Name, object Value)> SourceFields(MountFeed feed)
    {
        var p = feed.Parameters!.Value;
        var headers = feed.Info?.Headers ?? new Dictionary<string, string>();
        int bitrate = feed.BitrateKbps;
        var start = feed.StreamStart ?? _started;
        int hls = feed.HlsListeners;
        (string, object?)[] fields =
        [
            ("audio_info", IcecastHeaders.AudioInfo(p, bitrate)),
            ("bitrate", bitrate > 0 ? (long)bitrate : null),
            ("channels", (long)p.Channels),
            ("samplerate", (long)p.SampleRate),
            ("genre", headers.GetValueOrDefault("icy-genre")),
            ("hls_listeners", (long)hls),
            ("listener_peak", (long)feed.ListenerPeak),
            ("listeners", (long)(feed.Listeners + hls)),
            ("listenurl", ListenUrl(feed.Mount)),
            ("server_description", headers.GetValueOrDefault("icy-description")),
            ("server_name", headers.GetValueOrDefault("icy-name")),
            ("server_type", p.ContentType),
            ("server_url", headers.GetValueOrDefault("icy-url")),
            ("stream_start", Rfc822(start)),
            ("stream_start_iso8601", Iso8601(start)),
            ("title", feed.Title),
        ];
        foreach (var (name, value) in fields)
            if (value is not null) yield return (name, value);
    }

    /// <summary>The mounts that can be listened to now, by name.</summary>
    public IEnumerable<MountFeed> Playable =>
        catalog.Feeds.Where(f => f.Playable).OrderBy(f => f.Mount, StringComparer.Ordinal);

    /// <summary>When this edge started (icestats' server_start).</summary>
    public DateTimeOffset Started => _started;

    public string ListenUrl(string mount) => $"http://{_options.Hostname}:{_options.PublicPort}/{mount}";

    /// <summary>For an Icecast slave's &lt;master-server&gt;: every playable mount, one path per line.</summary>
    public IResult StreamList(HttpContext context)
    {
        if (!Authorized(context, _options.RelayUser, _options.RelayPassword)) return Unauthorized(context, "streamlist");
        var text = new StringBuilder();
        foreach (var f in Playable)
            text.Append('/').Append(f.Mount).Append('\n');
        return Results.Text(text.ToString(), "text/plain; charset=utf-8");
    }

    /// <summary><c>/admin/metadata?mode=updinfo&amp;mount=/m&amp;song=Title</c>: sets the title on every edge.</summary>
    public async Task<IResult> MetadataAsync(HttpContext context)
    {
        if (RequireAdmin(context, "metadata") is { } refused) return refused;
        if (!Updinfo.TryParse(context.Request.QueryString.Value, out var update, out var error))
            return IceResponse(StatusCodes.Status400BadRequest, error, false);
        var (mount, song) = update!;
        if (Encoding.UTF8.GetByteCount(song) > Icy.IcyMetadata.MaxTextBytes)
            return IceResponse(StatusCodes.Status400BadRequest, $"song is longer than {Icy.IcyMetadata.MaxTextBytes} bytes", false);
        if (!catalog.TryGet(mount, out var feed)) return IceResponse(StatusCodes.Status404NotFound, "Source does not exist", false);

        long version = DateTimeOffset.UtcNow.UtcTicks;
        feed.SetAdminTitle(song, version);
        // This edge already plays the title; other edges learn it from the sites that took it.
        if (!await catalog.SetTitleAsync(mount, song, version)) LogTitleNotShared(mount, "no site could be reached");
        LogTitleSet(mount, song);
        return IceResponse(StatusCodes.Status200OK, "Metadata update successful", true);
    }

    /// <summary>Null when the request carries the admin credentials, else the 401 answer (logged) to return.</summary>
    public IResult? RequireAdmin(HttpContext context, string what) =>
        Authorized(context, _options.AdminUser, _options.AdminPassword) ? null : Unauthorized(context, what);

    private IResult Unauthorized(HttpContext context, string what)
    {
        LogUnauthorized(what, context.Connection.RemoteIpAddress?.ToString());
        context.Response.Headers.WWWAuthenticate = BasicCredentials.IcecastChallenge;
        return Results.Text("Authentication required\n", "text/plain", statusCode: StatusCodes.Status401Unauthorized);
    }

    /// <summary>HTTP basic authentication against one user and password, compared in constant time.</summary>
    public static bool Authorized(HttpContext context, string user, string password) =>
        BasicCredentials.Match(context.Request.Headers.Authorization.ToString(), user, password);

    public static IResult IceResponse(int status, string message, bool ok) => Results.Text(Updinfo.Reply(message, ok), "text/xml", Encoding.UTF8, status);

    /// <summary>Icecast's date format: "Tue, 24 Nov 2026 09:00:00 +0000".</summary>
    public static string Rfc822(DateTimeOffset t) => t.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    /// <summary>Icecast's ISO 8601 form: "2026-11-24T09:00:00+0000".</summary>
    public static string Iso8601(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: title set by an operator: {Title}")]
    private partial void LogTitleSet(string mount, string title);

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: the title could not be passed to the other edges yet: {Error}")]
    private partial void LogTitleNotShared(string mount, string error);

    [LoggerMessage(LogLevel.Warning, "Refused {What} request from {Remote}: wrong or missing credentials")]
    private partial void LogUnauthorized(string what, string? remote);
}
