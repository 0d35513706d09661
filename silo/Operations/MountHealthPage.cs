using Davecast.Grains;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Operations;

/// <summary>
/// <c>/mounts</c> and <c>/mounts.json</c> on the relay's HTTP port: every mount of the cluster with its live encoder,
/// each encoder's frame rate, age of its last frame and gaps, and what each edge reported (listeners, backfills,
/// failovers), which relays carry each encoder, and the last 15 minutes (<see cref="MountHistory"/>), as the mount
/// grains know it. The HTML page has no external assets (the machine may be offline); its script reads
/// <c>/mounts.json</c> every 2 s and draws the history as inline SVG.
/// </summary>
public static class MountHealthPage
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using var stream = typeof(MountHealthPage).Assembly.GetManifestResourceStream("Davecast.Silo.Operations.mounts.html")
            ?? throw new InvalidOperationException("mounts.html is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void MapMountHealth(this WebApplication app)
    {
        app.MapGet("/mounts", () => Results.Bytes(Html.Value, "text/html; charset=utf-8"));
        app.MapGet("/mounts.json", (Func<IClusterClient, IOptions<RelayOptions>, IOptions<ElectionOptions>, Task<IResult>>)JsonAsync);
    }

    private static async Task<IResult> JsonAsync(IClusterClient cluster, IOptions<RelayOptions> relay, IOptions<ElectionOptions> election)
    {
        IReadOnlyList<string> names;
        try
        {
            names = await cluster.GetGrain<IMountDirectoryGrain>("all").ListAsync().WaitAsync(CallTimeout);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return Results.Json(new { relay = relay.Value.Name, at = DateTimeOffset.UtcNow, error = e.Message, mounts = Array.Empty<object>() }, HealthJson.Options,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var infos = await Task.WhenAll(names.Select(async name =>
        {
            try
            {
                var grain = cluster.GetGrain<IMountGrain>(name);
                var history = HistoryAsync(grain);
                return (name, info: await grain.GetInfoAsync().WaitAsync(CallTimeout), history: await history, error: (string?)null);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                return (name, info: (MountInfo?)null, history: (MountHistorySnapshot?)null, error: e.Message);
            }
        }));
        var now = DateTimeOffset.UtcNow;
        var timeout = election.Value.EncoderTimeout;
        var mounts = infos.Select(m => m.info is not { } info ? (object)new { mount = m.name, error = m.error } : new
        {
            mount = info.Mount,
            codec = info.Parameters?.ToString(),
            live = info.LiveEncoder,
            title = info.Title,
            relays = info.Relays,
            encoders = info.Encoders.Select(e => EncoderHealth.Of(e, now, timeout)),
            edges = info.Edges ?? [],
            history = m.history is { } h ? new { intervalSeconds = h.Interval.TotalSeconds, points = h.Points, events = h.Events } : null,
        });
        return Results.Json(new { relay = relay.Value.Name, at = now, mounts }, HealthJson.Options);
    }

    // A grain on a relay of an older release has no history (a rolling upgrade): the page shows the rest without it.
    private static async Task<MountHistorySnapshot?> HistoryAsync(IMountGrain grain)
    {
        try
        {
            return await grain.GetHistoryAsync().WaitAsync(CallTimeout);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }
}
