using System.Text.Json;

namespace Davecast.Tests.Support;

/// <summary>
/// Reads an edge gateway's <c>GET /davecast/health</c> (the mount grain's health plus what the edge plays).
/// Every accessor returns null when the endpoint or the field is absent, so that tests can use it where it exists.
/// </summary>
public static class EdgeHealth
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The health document's entry for <paramref name="mount"/>, or null.</summary>
    public static async Task<JsonElement?> MountAsync(Deployment.Edge edge, string mount)
    {
        try
        {
            using var response = await Http.GetAsync(edge.HealthUrl);
            if (!response.IsSuccessStatusCode) return null;
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (!doc.RootElement.TryGetProperty("mounts", out var mounts) || mounts.ValueKind != JsonValueKind.Array) return null;
            foreach (var m in mounts.EnumerateArray())
                if (m.TryGetProperty("mount", out var name) && name.GetString() == mount.TrimStart('/'))
                    return m.Clone();
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The sites this edge follows now: their cluster answers and a feed of one of their relays is live.</summary>
    public static async Task<IReadOnlyList<string>?> SitesFollowedAsync(Deployment.Edge edge)
    {
        try
        {
            using var response = await Http.GetAsync(edge.HealthUrl);
            if (!response.IsSuccessStatusCode) return null;
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (!doc.RootElement.TryGetProperty("sites", out var sites) || sites.ValueKind != JsonValueKind.Array) return null;
            return [.. sites.EnumerateArray()
                .Where(s => s.TryGetProperty("followed", out var f) && f.GetBoolean() && s.TryGetProperty("reachable", out var r) && r.GetBoolean())
                .Select(s => s.GetProperty("site").GetString() ?? "")];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The live encoder the mount grain elected.</summary>
    public static async Task<string?> LiveAsync(Deployment.Edge edge, string mount) =>
        (await MountAsync(edge, mount)) is { } m && m.TryGetProperty("live", out var live) ? live.GetString() : null;

    /// <summary>The encoder this edge plays (its own report), when it says.</summary>
    public static async Task<string?> PlayingAsync(Deployment.Edge edge, string mount) =>
        (await MountAsync(edge, mount)) is { } m && m.TryGetProperty("thisEdge", out var local) && local.ValueKind == JsonValueKind.Object
            && local.TryGetProperty("playing", out var playing) ? playing.GetString() : null;

    /// <summary>Relays that carry the mount now (reported within the mount grain's timeout).</summary>
    public static async Task<IReadOnlyList<string>?> RelaysAsync(Deployment.Edge edge, string mount) =>
        (await MountAsync(edge, mount)) is { } m && m.TryGetProperty("relays", out var relays) && relays.ValueKind == JsonValueKind.Array
            ? [.. relays.EnumerateArray().Select(r => r.GetString() ?? "")]
            : null;

    /// <summary>The relays that have seen <paramref name="encoder"/>, and the age of its last frame.</summary>
    public static async Task<(IReadOnlyList<string> Relays, long LastFrameAgeMs)?> EncoderAsync(Deployment.Edge edge, string mount, string encoder)
    {
        if (await MountAsync(edge, mount) is not { } m || !m.TryGetProperty("encoders", out var encoders) || encoders.ValueKind != JsonValueKind.Array)
            return null;
        foreach (var e in encoders.EnumerateArray())
        {
            if (!e.TryGetProperty("encoder", out var name) || name.GetString() != encoder) continue;
            IReadOnlyList<string> seenBy = e.TryGetProperty("relays", out var r) && r.ValueKind == JsonValueKind.Array
                ? [.. r.EnumerateArray().Select(x => x.GetString() ?? "")]
                : [];
            long age = e.TryGetProperty("lastFrameAgeMs", out var a) && a.TryGetInt64(out var v) ? v : -1;
            return (seenBy, age);
        }
        return null;
    }

    /// <summary>This edge's own counters for the mount (failovers, backfills...), as JSON text, for the test output.</summary>
    public static async Task<string> SummaryAsync(Deployment.Edge edge, string mount)
    {
        if (await MountAsync(edge, mount) is not { } m) return $"{edge.Name}: no health for /{mount}";
        string live = m.TryGetProperty("live", out var l) ? l.GetString() ?? "-" : "-";
        string local = m.TryGetProperty("thisEdge", out var t) ? Compact(t, "edge", "at") : "-";
        string relays = m.TryGetProperty("relays", out var r) ? Compact(r) : "-";
        return $"{edge.Name}: live {live}, relays {relays}, this edge {local}";
    }

    /// <summary>One line of JSON, without the named properties.</summary>
    private static string Compact(JsonElement e, params string[] without)
    {
        if (e.ValueKind != JsonValueKind.Object) return JsonSerializer.Serialize(e);
        return "{" + string.Join(",", e.EnumerateObject().Where(p => !without.Contains(p.Name)).Select(p => $"{p.Name}:{JsonSerializer.Serialize(p.Value)}")) + "}";
    }
}
