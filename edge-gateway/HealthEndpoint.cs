using System.Text.Json;
using System.Text.Json.Serialization;

namespace Davecast.Edge;

/// <summary>
/// <c>GET /davecast/health</c>: every mount's health as the mount grain keeps it (live encoder, each encoder's
/// frame rate, age of its last frame, gaps, duplicates; each edge's backfills and failovers), plus what this edge
/// plays. JSON, for monitoring and tests.
/// </summary>
public static class HealthEndpoint
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

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
                encoders = info?.Encoders.Select(e => new
                {
                    encoder = e.Encoder,
                    session = e.Session,
                    priority = e.Priority,
                    healthy = now - e.LastFrameAt < TimeSpan.FromSeconds(3),
                    healthySince = e.HealthySince,
                    framesPerSecond = Math.Round(e.FramesPerSecond, 2),
                    lastFrameAgeMs = (long)(now - e.LastFrameAt).TotalMilliseconds,
                    lastSequence = e.LastSequence,
                    relays = e.SeenBy,
                    framesAccepted = e.FramesAccepted,
                    duplicatesDropped = e.Duplicates,
                    gaps = e.Gaps,
                    refused = e.RefusedReason,
                }),
                edges = info?.Edges,
            };
        });
        return Results.Json(new { edge = options.Value.Name, at = now, mounts }, Json);
    }
}
