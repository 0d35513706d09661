using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// The page at <c>/</c> (and <c>/status.xsl</c>), as Icecast's front page: every mount that can be listened to, its
/// codec, listeners at this edge and title, with a player for each.
/// </summary>
public sealed class StatusPage(IcecastEndpoints icecast, IOptions<EdgeOptions> options)
{
    // Titles in any script stay readable in the page's source; only HTML's own characters are escaped.
    private static readonly HtmlEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    public IResult Get(HttpContext context)
    {
        var html = Html;
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        page.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        page.Append($"<title>{html.Encode(options.Value.Name)} · Davecast</title>\n");
        page.Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.4em .8em;border-bottom:1px solid #ccc;text-align:left}</style>\n");
        page.Append("</head>\n<body>\n");
        page.Append($"<h1>Davecast edge {html.Encode(options.Value.Name)}</h1>\n");
        var feeds = icecast.Playable.ToList();
        if (feeds.Count == 0)
        {
            page.Append("<p id=\"no-mounts\">No mount is playing now.</p>\n");
        }
        else
        {
            page.Append("<table>\n<thead><tr><th>Mount</th><th>Codec</th><th>Listeners</th><th>Title</th><th>Listen</th></tr></thead>\n<tbody>\n");
            foreach (var feed in feeds)
            {
                var p = feed.Parameters!.Value;
                int bitrate = feed.BitrateKbps;
                var path = "/" + string.Join('/', feed.Mount.Split('/').Select(Uri.EscapeDataString));
                page.Append($"<tr class=\"mount\" data-mount=\"{html.Encode(feed.Mount)}\">");
                page.Append($"<td class=\"name\"><a href=\"{html.Encode(path)}\">/{html.Encode(feed.Mount)}</a></td>");
                page.Append($"<td class=\"codec\">{html.Encode(p.ContentType)}, {html.Encode(p.ToString())}{(bitrate > 0 && p.BitrateKbps == 0 ? $", {bitrate} kbps" : "")}</td>");
                page.Append($"<td class=\"listeners\">{feed.Listeners}</td>");
                page.Append($"<td class=\"title\">{html.Encode(feed.Title ?? "")}</td>");
                page.Append($"<td><audio controls preload=\"none\" src=\"{html.Encode(path)}\"></audio></td></tr>\n");
            }
            page.Append("</tbody>\n</table>\n");
        }
        page.Append("<p><a href=\"/status-json.xsl\">status-json.xsl</a> · <a href=\"/davecast/health\">health</a></p>\n</body>\n</html>\n");
        return Results.Content(page.ToString(), "text/html; charset=utf-8", Encoding.UTF8);
    }
}
