using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Davecast.Edge.Outputs.Hls;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// HLS from the edges, with real processes, in one run: two edges cut the same segments through a relay kill -9 and
/// a live encoder kill; ffmpeg plays the playlist; the segments hold the fixture's frames exactly; m3u8-parser reads
/// every playlist; hls.js in Chromium plays the multivariant playlist through all of that and the kill of its edge.
/// The long run (two minutes of segments, a minute of hls.js) is <c>bench/run.sh hls</c>.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class HlsTests(ITestOutputHelper output)
{
    private const string Mount = "hls.aac";

    /// <summary>
    /// <c>bench/run.sh hls</c> sets DAVECAST_HLS_LONG=1: two minutes of 6 s segments (the default) on two edges, ffmpeg
    /// for 60 s, then 40 s more of hls.js after its edge is killed. The suite's run is the same, shorter.
    /// </summary>
    private static readonly bool Long = Environment.GetEnvironmentVariable("DAVECAST_HLS_LONG") == "1";

    [Fact]
    public async Task Two_edges_serve_identical_segments_through_relay_encoder_and_edge_kills_to_ffmpeg_m3u8_parser_and_hlsjs_in_chromium()
    {
        var script = Path.Combine(NpmPackages.Require("hls.js"), "dist", "hls.min.js");
        await using var d = new Deployment();
        var reports = new List<PageReport>();
        PageReport? Last()
        {
            lock (reports) return reports.Count == 0 ? null : reports[^1];
        }
        try
        {
            await d.StartRelayAsync("relay-a");
            var relayB = d.StartRelayAsync("relay-b");
            // 2 s segments: hls.js holds three, enough to ride out the kill of its edge.
            int segment = Long ? 6 : 2;
            string[] hls = ["--hls", "--hls-segment-seconds", $"{segment}", "--hls-window", "30"];
            var edge2 = await d.StartEdgeAsync(hls);
            var edge1 = await d.StartEdgeAsync([.. hls, "--hls-peer", $"http://127.0.0.1:{edge2.Port}"]);
            await relayB;
            var startAt = Deployment.SecondsFromNow(3);
            var main = d.StartPublisherIn(null, "studio-main", Mount, Repo.Fixture("programme.aac"), 200, d.Relays, startAt, ["--title", "HLS title one"]);
            d.StartPublisherIn(null, "studio-backup", Mount, Repo.Fixture("programme.aac"), 100, d.Relays, startAt, ["--title", "HLS title one"]);
            await Wait.ForMountAsync(edge1.Url(Mount), TimeSpan.FromSeconds(60));
            await Wait.ForMountAsync(edge2.Url(Mount), TimeSpan.FromSeconds(60));

            using var http = new HttpClient();
            var playlist = await http.GetAsync(edge1.Url("hls.aac.m3u8"));
            Assert.Equal(HttpStatusCode.OK, playlist.StatusCode);
            Assert.Equal(MediaPlaylist.ContentType, playlist.Content.Headers.ContentType?.MediaType);
            Assert.Equal("*", playlist.Headers.GetValues("Access-Control-Allow-Origin").Single());
            var variants = await http.GetStringAsync(edge1.Url(Mount + MultivariantPlaylist.Suffix));
            Assert.Contains("\nhls.aac.m3u8\n", variants);
            Assert.Contains($"\nhttp://127.0.0.1:{edge2.Port}/hls.aac.m3u8\n", variants);

            // hls.js in Chromium plays the multivariant playlist, from a page of another origin, throughout.
            using var site = new LoopbackHttpServer(async context =>
            {
                var path = context.Request.Url!.AbsolutePath;
                if (path == "/report")
                {
                    using var reader = new StreamReader(context.Request.InputStream);
                    var report = JsonSerializer.Deserialize<PageReport>(await reader.ReadToEndAsync(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                    lock (reports) reports.Add(report);
                    return;
                }
                byte[] body;
                if (path == "/")
                {
                    context.Response.ContentType = "text/html; charset=utf-8";
                    body = Encoding.UTF8.GetBytes(Page(edge1.Url(Mount + MultivariantPlaylist.Suffix)));
                }
                else if (path == "/hls.min.js")
                {
                    context.Response.ContentType = "text/javascript";
                    body = await File.ReadAllBytesAsync(script);
                }
                else
                {
                    context.Response.StatusCode = 404;
                    return;
                }
                await context.Response.OutputStream.WriteAsync(body);
            });

            await using var one = new HlsRecorder(edge1.Url("hls.aac.m3u8"));
            await using var two = new HlsRecorder(edge2.Url("hls.aac.m3u8"));
            async Task MoreSecondsAsync(int seconds, string what)
            {
                long from = Math.Max(one.Newest, two.Newest);
                int count = Math.Max(1, seconds / segment);
                await Wait.UntilAsync(() => one.Newest >= from + count && two.Newest >= from + count, TimeSpan.FromSeconds(seconds + 20),
                    $"{count} more segments on both edges {what} (last errors: {one.LastError} / {two.LastError})");
            }
            var recording = Stopwatch.StartNew();
            await MoreSecondsAsync(Long ? 20 : 2, "before the kills");
            // Once the playlists list segments: hls.js gives up on an empty live playlist after a few retries.
            using var browser = HeadlessChromium.Open(site.Url("/"));
            await Wait.UntilAsync(() => browser.HasExited || Last() is { CurrentTime: > 0, Level: not null }, TimeSpan.FromSeconds(30), "hls.js to start playing");

            // While the recorders, ffmpeg and hls.js read: a relay dies by kill -9, then the live encoder.
            var ffmpeg = new ChildProcess("ffmpeg", ExternalTools.Require("ffmpeg"), ["-nostdin", "-v", "error", "-i", edge2.Url("hls.aac.m3u8"), "-t", Long ? "60" : "8", "-f", "null", "-"]);
            d.Track(ffmpeg);
            long atRelayKill = Math.Min(one.Newest, two.Newest);
            d.KillRelay("relay-b");
            await MoreSecondsAsync(Long ? 30 : 2, "after the relay kill");
            main.Kill9();
            await Wait.UntilAsync(() => edge1.Process.Output.Contains("continuing with studio-backup") && edge2.Process.Output.Contains("continuing with studio-backup"),
                TimeSpan.FromSeconds(30), "both edges to go on with the backup encoder");
            long atFailover = Math.Max(one.Newest, two.Newest);
            await MoreSecondsAsync(2 * segment, "after the encoder kill");
            if (Long) await MoreSecondsAsync(Math.Max(0, 120 - (int)recording.Elapsed.TotalSeconds), "to make two minutes");
            Assert.Equal(0, await ffmpeg.WaitForExitAsync(TimeSpan.FromSeconds(Long ? 90 : 30)));
            Assert.True(ffmpeg.ErrorOutput.Trim().Length == 0, $"ffmpeg reported: {ffmpeg.ErrorOutput}");

            // Every segment both edges served is the same, byte for byte.
            var both = one.Segments.Keys.Intersect(two.Segments.Keys).Order().ToList();
            output.WriteLine($"edge 1: {one.Segments.Count} segments, edge 2: {two.Segments.Count}, {both.Count} on both ({both[0]}..{both[^1]})");
            foreach (var (name, recorder) in new[] { ("edge 1", one), ("edge 2", two) })
            {
                var (p50, p99, count) = recorder.Latency();
                output.WriteLine($"latency {name}, {segment} s segments, frame sent to its segment listed: p50 {p50:F2} s, p99 {p99:F2} s over {count} segments");
            }
            // From before the relay kill to after the encoder failover, none missing on either edge.
            for (long n = atRelayKill; n <= atFailover + 1; n++) Assert.True(both.Contains(n), $"segment {n} is not on both edges (relay killed at {atRelayKill}, failover by {atFailover})");
            foreach (var n in both)
                Assert.True(SHA256.HashData(one.Segments[n]).SequenceEqual(SHA256.HashData(two.Segments[n])), $"segment {n} differs between the edges");

            // The segments, their ID3 tags stripped, are the fixture's frames with none missing, repeated or foreign.
            var run = one.Run();
            var audio = run.SelectMany(s => s.Data.Skip(Id3Tag.Length(s.Data))).ToArray();
            var report = FrameContinuity.ForFile(Repo.Fixture("programme.aac")).Check(audio);
            output.WriteLine($"segments {run[0].Sequence}..{run[^1].Sequence}: {report}");
            Assert.True(report.Perfect, report.ToString());
            Assert.All(run, s => Assert.True(s.Data.AsSpan(0, Id3Tag.Length(s.Data)).IndexOf("StreamTitle\0HLS title one"u8) >= 0, $"segment {s.Sequence} has no title"));

            // m3u8-parser reads every playlist each edge served; target durations, numbers and date-times hold.
            foreach (var recorder in new[] { one, two })
            {
                var parsed = await HlsPlaylistCheck.ParseAsync(recorder.Playlists);
                Assert.All(parsed, p => Assert.Equal(segment, p.TargetDuration));
                Assert.Empty(HlsPlaylistCheck.Problems(parsed));
            }

            // The HLS clients count as listeners of the mount, in status-json, /metrics and /admin/stats.
            using var status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{edge1.Port}/status-json.xsl"));
            var source = status.RootElement.GetProperty("icestats").GetProperty("source");
            Assert.True(source.GetProperty("hls_listeners").GetInt64() >= 1);
            Assert.Equal(source.GetProperty("hls_listeners").GetInt64(), source.GetProperty("listeners").GetInt64());
            var metrics = PrometheusText.Parse(await http.GetStringAsync($"http://127.0.0.1:{edge1.Port}/metrics"));
            Assert.True(metrics.Sum("davecast_edge_hls_listeners", ("mount", Mount)) >= 1, "davecast_edge_hls_listeners");
            var stats = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{edge1.Port}/admin/stats");
            stats.Headers.Authorization = Admin(d);
            var xml = System.Xml.Linq.XDocument.Parse(await (await http.SendAsync(stats)).Content.ReadAsStringAsync());
            Assert.True(long.Parse(xml.Root!.Element("source")!.Element("hls_listeners")!.Value) >= 1, xml.ToString());

            // hls.js has played through the relay and encoder kills and read the title; now its edge dies by kill -9.
            await Wait.UntilAsync(() => browser.HasExited || Last() is { CurrentTime: > 0, Level: not null } r && r.Titles.Contains("HLS title one"),
                TimeSpan.FromSeconds(30), "hls.js to play and read the first title");
            var before = Last()!;
            var (reading, other) = before.Level!.Contains($":{edge1.Port}/") ? (edge1, edge2) : (edge2, edge1);
            reading.Process.Kill9();
            var clock = Stopwatch.StartNew();
            double after = Long ? 40 : 8;
            await Wait.UntilAsync(() => browser.HasExited || Last()!.CurrentTime >= before.CurrentTime + after, TimeSpan.FromSeconds(after + 30),
                $"hls.js to play {after} s more after its edge was killed");
            var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{other.Port}/admin/metadata?mode=updinfo&mount=/{Mount}&song=HLS+title+two");
            request.Headers.Authorization = Admin(d);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
            await Wait.UntilAsync(() => browser.HasExited || Last()!.Titles.Contains("HLS title two"), TimeSpan.FromSeconds(30), "hls.js to read the operator's title");

            var end = Last()!;
            double played = end.CurrentTime - before.CurrentTime, wall = clock.Elapsed.TotalSeconds;
            output.WriteLine($"hls.js read {before.Level}, then {end.Level}; currentTime {before.CurrentTime:F1} then {end.CurrentTime:F1} s over {wall:F1} s; "
                + $"buffered {string.Join(",", end.Buffered)}; played {string.Join(",", end.Played)}; titles {string.Join(" | ", end.Titles)}; errors {string.Join(" | ", end.Errors)}");
            Assert.False(browser.HasExited, $"chromium exited: {browser.Output}");
            Assert.DoesNotContain(end.Errors, e => e.Contains("fatal", StringComparison.Ordinal));
            Assert.DoesNotContain($":{reading.Port}/", end.Level);
            foreach (var sequence in new[] { end.Buffered, end.Played })
            {
                var distinct = sequence.Distinct().ToList();
                Assert.Equal(Enumerable.Range(0, distinct.Count).Select(i => distinct[0] + i), distinct);
            }
            // The audio went on through the edge's death: no stall beyond a second.
            Assert.True(played >= wall - 1, $"currentTime advanced {played:F1} s in {wall:F1} s");
            Assert.Equal(["HLS title one", "HLS title two"], end.Titles);
        }
        catch
        {
            lock (reports) output.WriteLine(string.Join("\n", reports.TakeLast(3).Select(r => JsonSerializer.Serialize(r))));
            output.WriteLine(d.Logs());
            throw;
        }
    }

    private static AuthenticationHeaderValue Admin(Deployment d) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{d.AdminPassword}")));

    private sealed record PageReport(long[] Played, long[] Buffered, string[] Titles, string[] Errors, double CurrentTime, string? Level);

    /// <summary>
    /// Plays the multivariant playlist with hls.js and posts four times a second the fragments buffered and played
    /// (sequence numbers), the titles read from the segments' ID3 (hls.js's metadata events), the audio's currentTime
    /// and the errors.
    /// </summary>
    private static string Page(string playlist) => $$"""
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><script src="/hls.min.js"></script></head>
        <body><audio id="audio"></audio>
        <script>
          const played = [], buffered = [], titles = [], errors = [];
          const audio = document.getElementById("audio");
          const hls = new Hls();
          // TIT2's text (UTF-8) from an ID3 tag's bytes.
          function tit2(bytes) {
            for (let i = 10; i + 10 < bytes.length; i++) {
              if (bytes[i] === 0x54 && bytes[i + 1] === 0x49 && bytes[i + 2] === 0x54 && bytes[i + 3] === 0x32) {
                const size = (bytes[i + 4] << 21) | (bytes[i + 5] << 14) | (bytes[i + 6] << 7) | bytes[i + 7];
                return new TextDecoder().decode(bytes.subarray(i + 11, i + 10 + size));
              }
            }
            return null;
          }
          hls.on(Hls.Events.FRAG_PARSING_METADATA, (_, data) => {
            for (const sample of data.samples) {
              const title = tit2(sample.data);
              if (title !== null && titles[titles.length - 1] !== title) titles.push(title);
            }
          });
          hls.on(Hls.Events.FRAG_BUFFERED, (_, data) => buffered.push(data.frag.sn));
          hls.on(Hls.Events.FRAG_CHANGED, (_, data) => played.push(data.frag.sn));
          hls.on(Hls.Events.ERROR, (_, data) => errors.push(data.type + ": " + data.details + (data.fatal ? " (fatal)" : "")));
          hls.loadSource("{{playlist}}");
          hls.attachMedia(audio);
          hls.on(Hls.Events.MANIFEST_PARSED, () => audio.play().catch(e => errors.push("play: " + e)));
          setInterval(() => fetch("/report", {
            method: "POST",
            body: JSON.stringify({ played, buffered, titles, errors, currentTime: audio.currentTime,
              level: hls.currentLevel >= 0 ? hls.levels[hls.currentLevel].uri : null }),
          }), 250);
        </script></body></html>
        """;
}
