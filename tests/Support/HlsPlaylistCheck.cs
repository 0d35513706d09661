using System.Text.Json;

namespace Davecast.Tests.Support;

/// <summary>
/// Parses HLS media playlists with the npm package m3u8-parser (installed by test.sh, run by node) and checks what
/// RFC 8216 asks of a live playlist and of its successive reloads: every segment's duration rounds to at most the
/// target duration, media sequence numbers go up by one, and program date-times never go back.
/// </summary>
public static class HlsPlaylistCheck
{
    public sealed record Segment(double Duration, string Uri, string? DateTime);

    public sealed record Parsed(int TargetDuration, long MediaSequence, Segment[] Segments);

    /// <summary>Each playlist as m3u8-parser reads it.</summary>
    public static async Task<IReadOnlyList<Parsed>> ParseAsync(IReadOnlyList<string> playlists)
    {
        var parser = Path.Combine(NpmPackages.Require("m3u8-parser"), "dist", "m3u8-parser.cjs.js");
        var input = Path.GetTempFileName();
        await File.WriteAllTextAsync(input, JsonSerializer.Serialize(playlists));
        string script = $$"""
            const { Parser } = require({{JsonSerializer.Serialize(parser)}});
            const texts = JSON.parse(require("fs").readFileSync({{JsonSerializer.Serialize(input)}}, "utf8"));
            console.log(JSON.stringify(texts.map(t => {
              const p = new Parser(); p.push(t); p.end();
              const m = p.manifest;
              return { targetDuration: m.targetDuration, mediaSequence: m.mediaSequence,
                segments: m.segments.map(s => ({ duration: s.duration, uri: s.uri, dateTime: s.dateTimeString ?? null })) };
            })));
            """;
        try
        {
            using var node = new ChildProcess("node", ExternalTools.Require("node"), ["-e", script]);
            int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
            if (exit != 0) throw new InvalidOperationException($"m3u8-parser failed ({exit}): {node.Output}");
            var json = node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('['));
            return JsonSerializer.Deserialize<Parsed[]>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        }
        finally
        {
            File.Delete(input);
        }
    }

    /// <summary>The problems found, none when the playlists are valid.</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<Parsed> playlists)
    {
        var problems = new List<string>();
        DateTimeOffset lastTime = DateTimeOffset.MinValue;
        long lastSequence = -1;
        foreach (var p in playlists)
        {
            for (int i = 0; i < p.Segments.Length; i++)
            {
                var s = p.Segments[i];
                long sequence = p.MediaSequence + i;
                if (Math.Round(s.Duration, MidpointRounding.AwayFromZero) > p.TargetDuration)
                    problems.Add($"segment {sequence} lasts {s.Duration} s, more than the target duration {p.TargetDuration}");
                if (!s.Uri.EndsWith($"/{sequence}.aac", StringComparison.Ordinal) && !s.Uri.EndsWith($"/{sequence}.mp3", StringComparison.Ordinal))
                    problems.Add($"segment {sequence} is named {s.Uri}");
                if (s.DateTime is null)
                {
                    problems.Add($"segment {sequence} has no program date-time");
                    continue;
                }
                var time = DateTimeOffset.Parse(s.DateTime, System.Globalization.CultureInfo.InvariantCulture);
                if (sequence > lastSequence)
                {
                    if (lastSequence >= 0 && sequence != lastSequence + 1) problems.Add($"segment {sequence} follows {lastSequence}");
                    if (time < lastTime) problems.Add($"segment {sequence}'s program date-time {s.DateTime} is before the one before it");
                    (lastSequence, lastTime) = (sequence, time);
                }
            }
        }
        return problems;
    }
}
