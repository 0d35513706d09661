using System.Text.Json;

namespace Davecast.Tests.Support;

/// <summary>
/// Reads Icecast's <c>/status-json.xsl</c> (<c>{"icestats": {..., "source": ...}}</c>). As Icecast writes it,
/// <c>source</c> is an object when there is exactly one mount, an array when there are more, and absent when there
/// are none.
/// </summary>
public static class IcecastStatus
{
    /// <summary>One entry of <c>icestats.source</c>, with the fields the tests look at (null when absent).</summary>
    public sealed record Source(JsonElement Json)
    {
        public string? ListenUrl => Text("listenurl");
        public string? ServerType => Text("server_type");
        public string? Title => Text("title");
        public string? ServerName => Text("server_name");

        /// <summary>A string field, or a number's text.</summary>
        public string? Text(string name) =>
            Json.TryGetProperty(name, out var v)
                ? v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                }
                : null;

        /// <summary>A number field (Icecast writes numbers bare; a numeric string is accepted too).</summary>
        public long? Number(string name) =>
            Json.TryGetProperty(name, out var v)
                ? v.ValueKind switch
                {
                    JsonValueKind.Number when v.TryGetInt64(out var n) => n,
                    JsonValueKind.String when long.TryParse(v.GetString(), out var n) => n,
                    _ => null,
                }
                : null;
    }

    /// <summary>The <c>icestats</c> object; throws <see cref="JsonException"/> (with the text) when it is missing.</summary>
    public static JsonElement IceStats(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("icestats", out var stats))
            throw new JsonException($"no icestats object in: {json}");
        return stats.Clone();
    }

    /// <summary>Every source entry, whether <c>source</c> is one object or an array.</summary>
    public static IReadOnlyList<Source> Sources(string json)
    {
        var stats = IceStats(json);
        if (!stats.TryGetProperty("source", out var source)) return [];
        return source.ValueKind switch
        {
            JsonValueKind.Object => [new Source(source)],
            JsonValueKind.Array => [.. source.EnumerateArray().Select(s => new Source(s))],
            _ => [],
        };
    }
}
