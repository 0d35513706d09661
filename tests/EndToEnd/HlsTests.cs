using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Davecast.Edge.Outputs.Hls;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// HLS from the edges, with real processes: two edges cut the same segments through a relay kill -9 and a live
/// encoder kill; ffmpeg plays the playlist; the segments hold the fixture's frames exactly; m3u8-parser reads every
/// playlist. The long runs (two minutes, 60 s in a browser) are <c>bench/run.sh hls</c>.
/// </summary>
[Collection("processes")]
public sealed class HlsTests(ITestOutputHelper output)
{
    private const string Mount = "hls.aac";

    [Fact]
    public async Task Two_edges_serve_identical_segments_through_a_relay_kill_and_an_encoder_kill_which_ffmpeg_plays_and_m3u8_parser_reads()
    {
        await using var d = new Deployment();
        try
        {
            await d.StartRelayAsync("relay-a");
            await d.StartRelayAsync("relay-b");
            string[] hls = ["--hls-segment-seconds", "1", "--hls-window", "30"];
            var edge1 = await d.StartEdgeAsync(hls);
            var edge2 = await d.StartEdgeAsync(hls);
            var startAt = Deployment.SecondsFromNow(3);
            var main = d.StartPublisherIn(null, "studio-main", Mount, Repo.Fixture("programme.aac"), 200, d.Relays, startAt, ["--title", "HLS title"]);
            d.StartPublisherIn(null, "studio-backup", Mount, Repo.Fixture("programme.aac"), 100, d.Relays, startAt, ["--title", "HLS title"]);
            await Wait.ForMountAsync(edge1.Url(Mount), TimeSpan.FromSeconds(60));
            await Wait.ForMountAsync(edge2.Url(Mount), TimeSpan.FromSeconds(60));

            using var http = new HttpClient();
            var playlist = await http.GetAsync(edge1.Url("hls.aac.m3u8"));
            Assert.Equal(HttpStatusCode.OK, playlist.StatusCode);
            Assert.Equal(MediaPlaylist.ContentType, playlist.Content.Headers.ContentType?.MediaType);
            Assert.Equal("*", playlist.Headers.GetValues("Access-Control-Allow-Origin").Single());

            await using var one = new HlsRecorder(edge1.Url("hls.aac.m3u8"));
            await using var two = new HlsRecorder(edge2.Url("hls.aac.m3u8"));
            async Task MoreSegmentsAsync(int count, string what)
            {
                long from = Math.Max(one.Newest, two.Newest);
                await Wait.UntilAsync(() => one.Newest >= from + count && two.Newest >= from + count, TimeSpan.FromSeconds(count + 20),
                    $"{count} more segments on both edges {what} (last errors: {one.LastError} / {two.LastError})");
            }
            await MoreSegmentsAsync(2, "before the kills");

            // While the two recorders and ffmpeg read: a relay dies by kill -9, then the live encoder.
            var ffmpeg = new ChildProcess("ffmpeg", ExternalTools.Require("ffmpeg"), ["-nostdin", "-v", "error", "-i", edge1.Url("hls.aac.m3u8"), "-t", "8", "-f", "null", "-"]);
            d.Track(ffmpeg);
            d.KillRelay("relay-b");
            await MoreSegmentsAsync(2, "after the relay kill");
            main.Kill9();
            await Wait.UntilAsync(() => edge1.Process.Output.Contains("continuing with studio-backup") && edge2.Process.Output.Contains("continuing with studio-backup"),
                TimeSpan.FromSeconds(30), "both edges to go on with the backup encoder");
            await MoreSegmentsAsync(3, "after the encoder kill");
            Assert.Equal(0, await ffmpeg.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.True(ffmpeg.ErrorOutput.Trim().Length == 0, $"ffmpeg reported: {ffmpeg.ErrorOutput}");

            // Every segment both edges served is the same, byte for byte.
            var both = one.Segments.Keys.Intersect(two.Segments.Keys).Order().ToList();
            output.WriteLine($"edge 1: {one.Segments.Count} segments, edge 2: {two.Segments.Count}, {both.Count} on both ({both[0]}..{both[^1]})");
            Assert.True(both.Count >= 8, $"only {both.Count} segments on both edges");
            foreach (var n in both)
                Assert.True(SHA256.HashData(one.Segments[n]).SequenceEqual(SHA256.HashData(two.Segments[n])), $"segment {n} differs between the edges");

            // The segments, their ID3 tags stripped, are the fixture's frames with none missing, repeated or foreign.
            var run = one.Run();
            var audio = run.SelectMany(s => s.Data.Skip(Id3Tag.Length(s.Data))).ToArray();
            var report = FrameContinuity.ForFile(Repo.Fixture("programme.aac")).Check(audio);
            output.WriteLine($"segments {run[0].Sequence}..{run[^1].Sequence}: {report}");
            Assert.True(report.Perfect, report.ToString());
            Assert.All(run, s => Assert.True(s.Data.AsSpan(0, Id3Tag.Length(s.Data)).IndexOf("StreamTitle\0HLS title"u8) >= 0, $"segment {s.Sequence} has no title"));

            // m3u8-parser reads every playlist each edge served; target durations, numbers and date-times hold.
            foreach (var recorder in new[] { one, two })
            {
                var parsed = await HlsPlaylistCheck.ParseAsync(recorder.Playlists);
                Assert.All(parsed, p => Assert.Equal(1, p.TargetDuration));
                Assert.Empty(HlsPlaylistCheck.Problems(parsed));
            }

            // Both HLS clients count as listeners of the mount on each edge, in status-json and /metrics.
            using var status = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{edge1.Port}/status-json.xsl"));
            var source = status.RootElement.GetProperty("icestats").GetProperty("source");
            Assert.True(source.GetProperty("hls_listeners").GetInt64() >= 1);
            Assert.Equal(source.GetProperty("hls_listeners").GetInt64(), source.GetProperty("listeners").GetInt64());
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{edge1.Port}/metrics");
            Assert.Contains("davecast_edge_hls_listeners", metrics);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }
}
