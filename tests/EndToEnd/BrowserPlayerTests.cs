using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// A web player in a real browser: headless Chromium loads a page from another origin than the edge's, and the page
/// plays a mount with the npm package icecast-metadata-player, which fetches the stream with <c>Icy-MetaData: 1</c>
/// and reads <c>icy-metaint</c>, so that CORS must allow the request header and expose the response headers.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class BrowserPlayerTests(ITestOutputHelper output)
{
    private sealed record Report(string[] Titles, string[] Errors, string[] Warnings, double CurrentTime, string? State, string? Method, int? MetaInt);

    [Fact]
    public async Task Icecast_metadata_player_in_chromium_plays_a_mount_from_another_origin_and_reads_its_titles()
    {
        var build = Path.Combine(NpmPackages.Require("icecast-metadata-player"), "build");
        var script = Path.GetFileName(Directory.GetFiles(build, "icecast-metadata-player-*.main.min.js").Single());
        await using var d = new Deployment();
        Report? last = null;
        var reports = new List<Report>();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--icy-metaint", "4000");
            await relay;
            d.StartPublisher("studio", "browser.mp3", Repo.Fixture("programme.mp3"), priority: 100, extra: ["--title", "Browser title one"]);
            await Wait.ForMountAsync(edge.Url("browser.mp3"), TimeSpan.FromSeconds(60));

            // The page and the player's files come from this server; the stream from the edge, another origin.
            using var site = new LoopbackHttpServer(async context =>
            {
                var path = context.Request.Url!.AbsolutePath;
                if (path == "/report")
                {
                    using var reader = new StreamReader(context.Request.InputStream);
                    var report = JsonSerializer.Deserialize<Report>(await reader.ReadToEndAsync(), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
                    lock (reports)
                    {
                        reports.Add(report);
                        last = report;
                    }
                    return;
                }
                byte[] body;
                if (path == "/")
                {
                    context.Response.ContentType = "text/html; charset=utf-8";
                    body = Encoding.UTF8.GetBytes(Page(edge.Url("browser.mp3"), script));
                }
                else if (path.StartsWith("/player/", StringComparison.Ordinal) && File.Exists(Path.Combine(build, Path.GetFileName(path))))
                {
                    context.Response.ContentType = "text/javascript";
                    body = await File.ReadAllBytesAsync(Path.Combine(build, Path.GetFileName(path)));
                }
                else
                {
                    context.Response.StatusCode = 404;
                    return;
                }
                await context.Response.OutputStream.WriteAsync(body);
            });

            using var browser = HeadlessChromium.Open(site.Url("/"));
            Report? Last()
            {
                lock (reports) return last;
            }
            await Wait.UntilAsync(() => browser.HasExited || Last() is { CurrentTime: > 0 } r && r.Titles.Contains("Browser title one"),
                TimeSpan.FromSeconds(60), "the player to play and read the first title");
            var first = Last()!;

            using var http = new HttpClient();
            var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{edge.Port}/admin/metadata?mode=updinfo&mount=/browser.mp3&song=Browser+title+two+%E2%80%93+%C3%BC");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{d.AdminPassword}")));
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
            await Wait.UntilAsync(() => browser.HasExited || Last()!.Titles.Contains("Browser title two – ü") && Last()!.CurrentTime >= first.CurrentTime + 2,
                TimeSpan.FromSeconds(60), "the player to read the operator's title and play on");

            var end = Last()!;
            output.WriteLine($"playback method {end.Method}, state {end.State}, icy-metaint {end.MetaInt}; currentTime {first.CurrentTime:F2} s then {end.CurrentTime:F2} s; titles: {string.Join(" | ", end.Titles)}");
            Assert.False(browser.HasExited, $"chromium exited: {browser.Output}");
            Assert.Equal(["Browser title one", "Browser title two – ü"], end.Titles.Distinct());
            Assert.Equal(4000, end.MetaInt);
            Assert.Empty(end.Errors);
        }
        catch
        {
            lock (reports) output.WriteLine(string.Join("\n", reports.TakeLast(5).Select(r => JsonSerializer.Serialize(r))));
            output.WriteLine(d.Logs());
            throw;
        }
    }

    /// <summary>Plays the stream and posts what the player saw to /report four times a second.</summary>
    private static string Page(string stream, string script) => $$"""
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><script src="/player/{{script}}"></script></head>
        <body><audio id="audio"></audio>
        <script>
          const titles = [], errors = [], warnings = [];
          const audio = document.getElementById("audio");
          const player = new IcecastMetadataPlayer("{{stream}}", {
            audioElement: audio,
            metadataTypes: ["icy"],
            // No guessing the interval from the bytes: only the icy-metaint header, which CORS must expose, gives it.
            icyDetectionTimeout: 0,
            onMetadata: m => titles.push(m.StreamTitle),
            onError: (message, error) => errors.push(String(message) + (error ? ": " + error : "")),
            onWarn: (...messages) => warnings.push(messages.join(" ")),
          });
          player.play();
          setInterval(() => fetch("/report", {
            method: "POST",
            body: JSON.stringify({ titles, errors, warnings, currentTime: audio.currentTime, state: player.state, method: player.playbackMethod, metaInt: player.icyMetaInt || null }),
          }), 250);
        </script></body></html>
        """;
}
