using Davecast.Grains;

namespace Davecast.Edge;

/// <summary>
/// <c>GET /davecast/health</c>: every mount's health as the mount grain keeps it (live encoder, each encoder's
/// frame rate, age of its last frame, gaps, duplicates; each edge's backfills and failovers), plus what this edge
/// plays. JSON, for monitoring and tests.
/// </summary>
public static class HealthEndpoint
{
    /// <summary>An encoder whose last frame is older is shown as not healthy (the relays' default --encoder-timeout).</summary>
    private static readonly TimeSpan EncoderTimeout = TimeSpan.FromSeconds(3);

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
                backfilledFrames = feed.BackfilledFrames,
                encoders = info?.Encoders.Select(e => EncoderHealth.Of(e, now, EncoderTimeout)),
                edges = info?.Edges,
            };
        });
        return Results.Json(new { edge = options.Value.Name, at = now, mounts }, HealthJson.Options);
    }
}
