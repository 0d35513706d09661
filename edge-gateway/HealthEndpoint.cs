using Davecast.Edge.Sites;
using Davecast.Grains;

namespace Davecast.Edge;

/// <summary>
/// <c>GET /davecast/health</c>: every mount's health as the mount grain keeps it (live encoder, each encoder's
/// frame rate, age of its last frame, gaps, duplicates; each edge's backfills and failovers), plus what this edge
/// plays, and each site this edge follows: whether its cluster answers and which of its relays' feeds are live.
/// JSON, for monitoring and tests.
/// </summary>
public static class HealthEndpoint
{
    public static IResult Get(MountCatalog catalog, Microsoft.Extensions.Options.IOptions<EdgeOptions> options)
    {
        var now = DateTimeOffset.UtcNow;
        var mounts = catalog.Feeds.OrderBy(f => f.Mount, StringComparer.Ordinal).Select(feed =>
        {
            var info = feed.Info;
            var local = feed.Report(options.Value.Name);
            return new
            {
                mount = feed.Mount,
                codec = info?.Parameters?.ToString(),
                live = info?.LiveEncoder,
                liveSession = info?.LiveSession,
                relays = info?.Relays,
                title = info?.Title,
                thisEdge = local,
                // No live encoder at this edge for --mount-timeout: listeners get 404.
                ended = feed.Ended,
                backfilledFrames = feed.BackfilledFrames,
                encoders = info?.Encoders.Select(e => EncoderHealth.Of(e, now, info.HealthTimeout)),
                edges = info?.Edges,
            };
        });
        var sites = catalog.Sites.Select(site =>
        {
            var relays = catalog.Relays.Where(r => r.Site == site.Name).OrderBy(r => r.Relay, StringComparer.Ordinal).Select(r => new
            {
                relay = r.Relay,
                feed = r.Endpoint,
                connected = r.Connected,
                lastBatchAgeMs = r.SinceMessage is { } t ? (long?)t.TotalMilliseconds : null,
            }).ToList();
            return new
            {
                site = site.Name,
                reachable = site.SinceContact is { } c && c < SiteViews.Fresh,
                lastContactAgeMs = site.SinceContact is { } since ? (long?)since.TotalMilliseconds : null,
                // Followed: this edge takes frames from at least one of the site's relays right now.
                followed = relays.Any(r => r.connected),
                relays,
            };
        });
        return Results.Json(new { edge = options.Value.Name, at = now, sites, mounts }, HealthJson.Options);
    }
}
