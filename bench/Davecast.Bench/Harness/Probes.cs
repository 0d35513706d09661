using System.Globalization;
using System.Text.Json;

namespace Davecast.Bench.Harness;

/// <summary>One mount as an edge's <c>/davecast/health</c> reports it (the <c>thisEdge</c> counters).</summary>
public sealed record MountCounters(string Mount, string? Playing, long FramesEmitted, long GapFrames, long Late, long Substituted,
    long Failovers, long Switches, long Backfills, long Duplicates, int Listeners);

/// <summary>
/// Reads the programs' monitoring endpoints: the edge's per-mount health, the relays' Prometheus metrics, the original
/// Davecast node's list of mounts.
/// </summary>
public static class Probes
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public static async Task<Dictionary<string, MountCounters>> EdgeHealthAsync(int edgePort)
    {
        var json = await Http.GetStringAsync($"http://127.0.0.1:{edgePort}/davecast/health");
        using var doc = JsonDocument.Parse(json);
        var result = new Dictionary<string, MountCounters>(StringComparer.Ordinal);
        foreach (var m in doc.RootElement.GetProperty("mounts").EnumerateArray())
        {
            var name = m.GetProperty("mount").GetString()!;
            if (!m.TryGetProperty("thisEdge", out var e) || e.ValueKind != JsonValueKind.Object) continue;
            result[name] = new MountCounters(
                name,
                e.TryGetProperty("playing", out var p) ? p.GetString() : null,
                Long(e, "framesEmitted"), Long(e, "gapFrames"), Long(e, "late"), Long(e, "substituted"),
                Long(e, "failovers"), Long(e, "switches"), Long(e, "backfills"), Long(e, "duplicates"), (int)Long(e, "listeners"));
        }
        return result;
    }

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt64(out long x) ? x : 0;

    /// <summary>The mounts the original Davecast's node knows, from its <c>/admin/</c> page (one "/name" a line).</summary>
    public static async Task<List<string>> OriginalMountsAsync(int nodePort)
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{nodePort}/admin/");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('/')).Select(l => l[1..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>Every sample of a Prometheus text page, as "name{labels}" to value.</summary>
    public static async Task<Dictionary<string, double>> MetricsAsync(int port)
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            // name{labels} value [timestamp]; label values may hold spaces, so split after the closing brace.
            int brace = line.LastIndexOf('}');
            int space = line.IndexOf(' ', brace < 0 ? 0 : brace);
            if (space < 0) continue;
            var value = line[(space + 1)..].Split(' ')[0];
            if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) samples[line[..space]] = v;
        }
        return samples;
    }

    /// <summary>The sum of a metric over all its label sets (the otel_scope labels included).</summary>
    public static double Sum(Dictionary<string, double> samples, string name, string? labelFilter = null) =>
        samples.Where(s => (s.Key == name || s.Key.StartsWith(name + "{", StringComparison.Ordinal))
                && (labelFilter is null || s.Key.Contains(labelFilter, StringComparison.Ordinal)))
            .Sum(s => s.Value);
}
