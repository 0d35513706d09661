using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The edge as Icecast clients see it, with real processes: ICY titles set at the source and by an operator,
/// HEAD and OPTIONS, admin credentials, and listener limits.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EdgeIcecastTests(ITestOutputHelper output)
{
    private const string Mount = "titles.mp3";

    // programme.mp3: 44.1 kHz MPEG-1 Layer III, 1152 samples a frame, about 38 frames a second.
    private const int FramesPerSecond = 38;

    [Fact]
    public async Task Icy_listeners_hear_the_source_title_then_an_operator_title_on_every_edge_with_every_frame_in_order()
    {
        await using var d = new Deployment();
        try
        {
            await d.StartRelayAsync("relay-a");
            var relayB = d.StartRelayAsync("relay-b");
            var edges = Task.WhenAll(d.StartEdgeAsync("--icy-metaint", "4000"), d.StartEdgeAsync("--icy-metaint", "4000"));
            await relayB;
            var both = await edges;
            var (edge1, edge2) = (both[0], both[1]);
            d.StartPublisher("studio", Mount, Repo.Fixture("programme.mp3"), priority: 100, extra: ["--title", "First title – ü", "--name", "Title FM"]);
            await Wait.ForMountAsync(edge1.Url(Mount), TimeSpan.FromSeconds(60));
            await Wait.ForMountAsync(edge2.Url(Mount), TimeSpan.FromSeconds(60));

            await using var one = await IcyClient.ConnectAsync(edge1.Port, Mount, icyMetadata: true);
            await using var two = await IcyClient.ConnectAsync(edge2.Port, Mount, icyMetadata: true);
            Assert.Equal("4000", one.Headers["icy-metaint"]);
            Assert.Equal("Title FM", one.Headers["icy-name"]);
            Assert.Equal("HTTP/1.0 200 OK", one.StatusLine);
            await one.WaitForTitleAsync("First title – ü", TimeSpan.FromSeconds(10));
            await two.WaitForTitleAsync("First title – ü", TimeSpan.FromSeconds(10));

            using var http = new HttpClient();
            var url = $"http://127.0.0.1:{edge1.Port}/admin/metadata?mode=updinfo&mount=/{Mount}&song=Operator+title";
            var refused = await http.GetAsync(url);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("Basic", refused.Headers.WwwAuthenticate.ToString());

            var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{d.AdminPassword}")));
            var clock = Stopwatch.StartNew();
            var set = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            Assert.Contains("<return>1</return>", await set.Content.ReadAsStringAsync());
            await one.WaitForTitleAsync("Operator title", TimeSpan.FromSeconds(10));
            var onThisEdge = clock.Elapsed;
            await two.WaitForTitleAsync("Operator title", TimeSpan.FromSeconds(10));
            output.WriteLine($"operator title heard on the edge that took it after {onThisEdge.TotalMilliseconds:F0} ms, on the other edge after {clock.ElapsedMilliseconds} ms");

            // Three seconds more of the stream on each edge: the frames after the title change, and no title after it.
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            foreach (var listener in new[] { one, two })
                await ListenerWait.ForMoreFramesAsync(continuity, listener.Audio, 3 * FramesPerSecond, TimeSpan.FromSeconds(20),
                    $"at {listener.Port} after the operator title", () => listener.Closed);
            foreach (var listener in new[] { one, two })
            {
                var report = continuity.Check(listener.Audio());
                output.WriteLine($"{listener.Port}: {report}; titles {string.Join(" | ", listener.Titles.Select(t => $"{t.Title}@{t.At}"))}");
                Assert.True(report.Perfect, report.ToString());
                Assert.Equal(["First title – ü", "Operator title"], listener.Titles.Select(t => t.Title));
            }
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    [Fact]
    public async Task Head_options_and_listener_limits_answer_as_icecast_does()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--max-listeners", "2", "--max-listeners-per-mount", "1");
            await relay;
            d.StartPublisher("studio", "a.mp3", Repo.Fixture("programme.mp3"), priority: 100);
            d.StartPublisher("music", "b.aac", Repo.Fixture("programme.aac"), priority: 100);
            d.StartPublisher("talk", "c.aac", Repo.Fixture("programme.aac"), priority: 100);
            foreach (var m in new[] { "a.mp3", "b.aac", "c.aac" }) await Wait.ForMountAsync(edge.Url(m), TimeSpan.FromSeconds(60));

            using var http = new HttpClient();
            var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, edge.Url("a.mp3")));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("audio/mpeg", head.Content.Headers.ContentType?.MediaType);
            Assert.Contains("samplerate=44100", string.Join(",", head.Headers.GetValues("ice-audio-info")));

            var options = await http.SendAsync(new HttpRequestMessage(HttpMethod.Options, edge.Url("a.mp3")));
            Assert.Equal(HttpStatusCode.OK, options.StatusCode);
            Assert.Equal("*", options.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("Icy-MetaData", options.Headers.GetValues("Access-Control-Allow-Headers").Single());

            await using var first = await IcyClient.ConnectAsync(edge.Port, "a.mp3", icyMetadata: false);
            Assert.Equal("HTTP/1.0 200 OK", first.StatusLine);
            // The mount is full; another mount still has room; then the edge is full.
            await using var second = await IcyClient.ConnectAsync(edge.Port, "a.mp3", icyMetadata: false);
            Assert.StartsWith("HTTP/1.0 503", second.StatusLine);
            await using var third = await IcyClient.ConnectAsync(edge.Port, "b.aac", icyMetadata: false);
            Assert.Equal("HTTP/1.0 200 OK", third.StatusLine);
            await using var fourth = await IcyClient.ConnectAsync(edge.Port, "c.aac", icyMetadata: false);
            Assert.StartsWith("HTTP/1.0 503", fourth.StatusLine);
            Assert.Contains("full", fourth.Body());

            // A listener leaving frees its place.
            await first.DisposeAsync();
            await Wait.UntilAsync(async () =>
            {
                await using var again = await IcyClient.ConnectAsync(edge.Port, "c.aac", icyMetadata: false);
                return again.StatusLine == "HTTP/1.0 200 OK";
            }, TimeSpan.FromSeconds(10));
            Assert.Contains("refused: This server is full", d.Logs());
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    // IcecastAcceptanceTests checks the same drop on the suite's shared deployment; this one runs in bench/run.sh failover.
    [Fact]
    [Trait("Suite", "bench")]
    public async Task A_listener_that_stops_reading_is_dropped_while_a_reading_one_keeps_every_frame()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--listener-queue-bytes", "65536");
            await relay;
            d.StartPublisher("studio", "slow.mp3", Repo.Fixture("programme.mp3"), priority: 100);
            await Wait.ForMountAsync(edge.Url("slow.mp3"), TimeSpan.FromSeconds(60));

            await using var reading = await IcyClient.ConnectAsync(edge.Port, "slow.mp3", icyMetadata: true);
            await using var stalled = await IcyClient.ConnectAsync(edge.Port, "slow.mp3", icyMetadata: false, read: false, receiveBuffer: 4096);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Wait.UntilAsync(() => d.Logs().Contains("dropped: its queue reached"), TimeSpan.FromSeconds(90), "the stalled listener to be dropped");
            output.WriteLine($"stalled listener dropped after {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(await stalled.IsResetAsync(), "the edge should have closed the stalled listener's connection");
            // Two seconds more of the stream for the reading listener, and no second drop meanwhile.
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            await ListenerWait.ForMoreFramesAsync(continuity, reading.Audio, 2 * FramesPerSecond, TimeSpan.FromSeconds(20), "after the drop", () => reading.Closed);

            var report = continuity.Check(reading.Audio());
            output.WriteLine($"reading listener: {report}");
            Assert.True(report.Perfect, report.ToString());
            Assert.False(reading.Closed);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(d.Edges[0].Process.Output, "dropped: its queue reached"));
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    /// <summary>
    /// A title set at the source (an encoder's <c>/admin/metadata</c> on the publisher's source port, as BUTT or
    /// Liquidsoap send it) travels with the frames: measured at the edge's emitted stream (status-json's title) and
    /// in an ICY listener's stream at the default metaint. No timing is asserted; the figures are printed.
    /// </summary>
    [Fact]
    public async Task A_title_set_at_the_source_reaches_the_edge_and_its_icy_listeners()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync();
            await relay;
            int sourcePort = Ports.Free();
            d.StartPublisherWith("encoder", "source.mp3", 100, ["--listen-source", $"127.0.0.1:{sourcePort}", "--source-password", "push-secret"]);
            await FfmpegPush.WaitForServerAsync(sourcePort, TimeSpan.FromSeconds(30), "the publisher's source port");
            using var ffmpeg = FfmpegPush.Start(Repo.Fixture("programme.mp3"), sourcePort, "source.mp3", "push-secret");
            d.Track(ffmpeg.Process);
            await Wait.ForMountAsync(edge.Url("source.mp3"), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, "source.mp3", icyMetadata: true);
            Assert.Equal("16000", listener.Headers["icy-metaint"]);
            // Titles set once audio flows land inside the audio, not before it.
            await Wait.UntilAsync(() => listener.Closed || listener.AudioLength > 0, TimeSpan.FromSeconds(10), "audio at the listener");

            using var http = new HttpClient();
            var statusUrl = $"http://127.0.0.1:{edge.Port}/status-json.xsl";
            var figures = new List<string>();
            foreach (var title in new[] { "Source title one", "Source title two – ü" })
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                await IcecastServer.SetTitleAsync(http, $"http://127.0.0.1:{sourcePort}", "source.mp3", title, "source", "push-secret");
                await Wait.UntilAsync(async () => IcecastStatus.Sources(await http.GetStringAsync(statusUrl)).Any(s => s.Title == title),
                    TimeSpan.FromSeconds(10), $"status-json to show '{title}'");
                var atEdge = clock.Elapsed;
                await listener.WaitForTitleAsync(title, TimeSpan.FromSeconds(10));
                figures.Add($"'{title}': emitted by the edge after {atEdge.TotalMilliseconds:F0} ms, heard by the ICY listener after {clock.Elapsed.TotalMilliseconds:F0} ms");
                // A second of audio (128 kbit/s) past the title before the next one: the stream goes on after it, frame-exact.
                await ListenerWait.ForAudioAfterTitleAsync(listener, title, 16_000, TimeSpan.FromSeconds(10));
            }
            foreach (var f in figures) output.WriteLine(f);
            var report = FrameContinuity.ForFile(Repo.Fixture("programme.mp3")).Check(listener.Audio());
            output.WriteLine($"listener: {report}");
            Assert.True(report.Perfect, report.ToString());
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }
}
