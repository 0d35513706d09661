using System.Globalization;
using System.Xml.Linq;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// Icecast 2.4's XML admin endpoints that tools parse (AzuraCast, monitoring scripts), behind the admin credentials:
/// <c>/admin/stats</c>, <c>/admin/listmounts</c>, <c>/admin/listclients?mount=</c> and <c>/admin/killclient?mount=&amp;id=</c>.
/// Element names and their case are Icecast's, which tools match exactly.
/// </summary>
public sealed partial class AdminXmlEndpoints(IcecastEndpoints icecast, MountCatalog catalog, IOptions<EdgeOptions> options, ILogger<AdminXmlEndpoints> logger)
{
    private readonly EdgeOptions _options = options.Value;

    public void Map(WebApplication app)
    {
        app.MapGet("/admin/stats", (Func<HttpContext, IResult>)Stats);
        app.MapGet("/admin/listmounts", (Func<HttpContext, IResult>)ListMounts);
        app.MapGet("/admin/listclients", (Func<HttpContext, IResult>)ListClients);
        app.MapGet("/admin/killclient", (Func<HttpContext, IResult>)KillClient);
    }

    public IResult Stats(HttpContext context)
    {
        if (icecast.RequireAdmin(context, "stats") is { } refused) return refused;
        var feeds = icecast.Playable.ToList();
        var root = new XElement("icestats",
            new XElement("admin", _options.AdminContact),
            new XElement("host", _options.Hostname),
            new XElement("listeners", feeds.Sum(f => f.AllListeners)),
            new XElement("location", _options.Location),
            new XElement("server_id", IcecastEndpoints.ServerId),
            new XElement("server_start", IcecastEndpoints.Rfc822(icecast.Started)),
            new XElement("server_start_iso8601", IcecastEndpoints.Iso8601(icecast.Started)),
            new XElement("sources", feeds.Count));
        foreach (var feed in feeds)
        {
            var fields = icecast.SourceFields(feed).Select(f => (f.Name, Value: Text(f.Value))).ToList();
            fields.Add(("max_listeners", _options.MaxListenersPerMount > 0 ? Text((long)_options.MaxListenersPerMount) : "unlimited"));
            fields.Add(("total_bytes_sent", Text(feed.ListenerBytes)));
            root.Add(Source(feed, fields.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => new XElement(f.Name, f.Value))));
        }
        return Xml(root);
    }

    public IResult ListMounts(HttpContext context)
    {
        if (icecast.RequireAdmin(context, "listmounts") is { } refused) return refused;
        var now = DateTimeOffset.UtcNow;
        var root = new XElement("icestats");
        foreach (var feed in icecast.Playable)
            root.Add(Source(feed,
                new XElement("fallback", ""),
                new XElement("listeners", feed.AllListeners),
                new XElement("Connected", Seconds(now - (feed.StreamStart ?? icecast.Started))),
                new XElement("content-type", feed.Parameters!.Value.ContentType)));
        return Xml(root);
    }

    public IResult ListClients(HttpContext context)
    {
        if (icecast.RequireAdmin(context, "listclients") is { } refused) return refused;
        if (!TryFeed(context, out var feed, out var error)) return error!;
        var now = DateTimeOffset.UtcNow;
        var listeners = feed.ListenerSessions;
        var source = Source(feed, new XElement("Listeners", listeners.Count));
        foreach (var l in listeners)
            source.Add(new XElement("listener",
                new XElement("IP", l.Ip ?? ""),
                new XElement("UserAgent", Text(l.UserAgent)),
                new XElement("Connected", Seconds(now - l.ConnectedAt)),
                new XElement("ID", l.Id)));
        return Xml(new XElement("icestats", source));
    }

    public IResult KillClient(HttpContext context)
    {
        if (icecast.RequireAdmin(context, "killclient") is { } refused) return refused;
        if (!TryFeed(context, out var feed, out var error)) return error!;
        if (!long.TryParse(context.Request.Query["id"], NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            return IcecastEndpoints.IceResponse(StatusCodes.Status400BadRequest, "Missing or bad parameter: id", false);
        var listener = feed.ListenerSessions.FirstOrDefault(l => l.Id == id);
        // Icecast answers 200 here too: tools read <return>.
        if (listener is null) return IcecastEndpoints.IceResponse(StatusCodes.Status200OK, $"Client {id} not found", false);
        listener.Kick();
        LogKicked(feed.Mount, id, listener.Remote);
        return IcecastEndpoints.IceResponse(StatusCodes.Status200OK, $"Client {id} removed", true);
    }

    private bool TryFeed(HttpContext context, out MountFeed feed, out IResult? error)
    {
        feed = null!;
        error = null;
        string mount;
        try
        {
            mount = MountName.Normalize(context.Request.Query["mount"].ToString());
        }
        catch (ArgumentException)
        {
            error = IcecastEndpoints.IceResponse(StatusCodes.Status400BadRequest, "Missing or bad parameter: mount", false);
            return false;
        }
        if (catalog.TryGet(mount, out feed)) return true;
        error = IcecastEndpoints.IceResponse(StatusCodes.Status404NotFound, "Source does not exist", false);
        return false;
    }

    private static XElement Source(MountFeed feed, params object[] content) => new("source", new XAttribute("mount", "/" + feed.Mount), content);

    // A title or user agent may carry control characters, which XML 1.0 cannot hold: they are left out.
    private static string Text(object? value) => value switch
    {
        long n => n.ToString(CultureInfo.InvariantCulture),
        string text => string.Concat(text.Where(c => char.IsSurrogate(c) || System.Xml.XmlConvert.IsXmlChar(c))),
        _ => "",
    };

    private static long Seconds(TimeSpan t) => Math.Max(0, (long)t.TotalSeconds);

    private static IResult Xml(XElement root) =>
        Results.Text("<?xml version=\"1.0\"?>\n" + root.ToString(SaveOptions.None) + "\n", "text/xml", System.Text.Encoding.UTF8);

    [LoggerMessage(LogLevel.Information, "Listener {Client} on /{Mount} from {Remote} closed by an operator (/admin/killclient)")]
    private partial void LogKicked(string mount, long client, string? remote);
}
