using System.Diagnostics;
using System.Net;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// A mount's life at the edge, with real processes: it ends when no encoder has been live for <c>--mount-timeout</c>
/// (its listeners closed, new ones 404, as Icecast), a failover to a backup encoder never ends it, an edge that
/// reaches no relay answers at once, and the request pair iOS players send.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class MountLifeTests(ITestOutputHelper output)
{
    private const string Mount = "life.mp3";

    // programme.mp3: 44.1 kHz MPEG-1 Layer III, about 38 frames a second.
    private const int FramesPerSecond = 38;

    [Fact]
    public async Task Relay_and_encoder_failovers_keep_listeners_and_a_mount_with_no_live_encoder_for_the_mount_timeout_closes_them_and_answers_404()
    {
        await using var d = new Deployment();
        try
        {
            await d.StartRelayAsync("relay-a");
            var relayB = d.StartRelayAsync("relay-b");
            var edge = await d.StartEdgeAsync("--mount-timeout", "2");
            await relayB;
            var startAt = Deployment.SecondsFromNow(3);
            var main = d.StartPublisherIn(null, "studio-main", Mount, Repo.Fixture("programme.mp3"), 200, d.Relays, startAt);
            var backup = d.StartPublisherIn(null, "studio-backup", Mount, Repo.Fixture("programme.mp3"), 100, d.Relays, startAt);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: true);
            Assert.Equal("HTTP/1.0 200 OK", listener.StatusLine);
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            await ListenerWait.ForFramesAsync(continuity, listener.Audio, 2 * FramesPerSecond, TimeSpan.FromSeconds(30), "before the failover", () => listener.Closed);

            // A relay dies (not the primary silo, which holds this cluster's membership): the other relay's copies go on.
            d.KillRelay("relay-b");
            await Wait.HoldsAsync(() => !listener.Closed, TimeSpan.FromSeconds(8), "the listener stays connected through the relay's death");
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Audio, 2 * FramesPerSecond, TimeSpan.FromSeconds(20), "after the relay died", () => listener.Closed);

            // The main encoder stops: the backup goes on, well past the encoder timeout (3 s) and --mount-timeout (2 s).
            main.Kill9();
            await Wait.UntilAsync(() => edge.Process.Output.Contains("live encoder stopped; continuing with studio-backup"), TimeSpan.FromSeconds(30), "the edge's failover");
            await Wait.HoldsAsync(() => !listener.Closed, TimeSpan.FromSeconds(8), "the listener stays connected through the failover");
            await ListenerWait.ForMoreFramesAsync(continuity, listener.Audio, 2 * FramesPerSecond, TimeSpan.FromSeconds(20), "after the failover", () => listener.Closed);
            Assert.False(listener.Closed, $"the listener was closed after a failover: {listener}");
            Assert.DoesNotContain("no live encoder", edge.Process.Output);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(HttpMethod.Head, edge.Url(Mount)));

            // The backup stops too: no live encoder. After the encoder timeout and --mount-timeout the listener is
            // closed (cleanly: what it was sent arrives, then the end of the stream), and new listeners get 404.
            backup.Kill9();
            var clock = Stopwatch.StartNew();
            Assert.True(await listener.WaitForCloseAsync(TimeSpan.FromSeconds(30)), $"the listener of a mount with no live encoder was not closed: {listener}");
            output.WriteLine($"listener closed {clock.Elapsed.TotalSeconds:F1} s after the last encoder stopped");
            Assert.Null(listener.Error);
            await Wait.UntilAsync(() => edge.Process.Output.Contains("no live encoder for 2 s (--mount-timeout): closed its 1 listener(s)"),
                TimeSpan.FromSeconds(10), "the edge to log the mount's end");
            await using var late = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: true);
            Assert.Equal(404, late.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(HttpMethod.Head, edge.Url(Mount)));
            using (var http = new HttpClient())
                Assert.DoesNotContain(Mount, await http.GetStringAsync($"http://127.0.0.1:{edge.Port}/status-json.xsl"));

            // An encoder comes back: the mount is served again.
            d.StartPublisher("studio-main", Mount, Repo.Fixture("programme.mp3"), 200);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var again = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: true);
            Assert.Equal("HTTP/1.0 200 OK", again.StatusLine);
            await ListenerWait.ForFramesAsync(continuity, again.Audio, FramesPerSecond, TimeSpan.FromSeconds(30), "after the encoder came back", () => again.Closed);
            await Wait.UntilAsync(() => edge.Process.Output.Contains("an encoder is live again"), TimeSpan.FromSeconds(10), "the edge to log the mount's return");
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    /// <summary>The second case: the encoder pushing to a publisher's <c>--listen-source</c> port disconnects.</summary>
    [Fact]
    public async Task A_listen_source_encoder_that_disconnects_ends_the_mount_after_the_mount_timeout()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--mount-timeout", "1");
            await relay;
            int sourcePort = Ports.Free();
            d.StartPublisherWith("encoder", Mount, 100, ["--listen-source", $"127.0.0.1:{sourcePort}", "--source-password", "push-secret"]);
            await FfmpegPush.WaitForServerAsync(sourcePort, TimeSpan.FromSeconds(30), "the publisher's source port");
            using var ffmpeg = FfmpegPush.Start(Repo.Fixture("programme.mp3"), sourcePort, Mount, "push-secret");
            d.Track(ffmpeg.Process);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            Assert.Equal("HTTP/1.0 200 OK", listener.StatusLine);
            await Wait.UntilAsync(() => listener.Closed || listener.AudioLength > 0, TimeSpan.FromSeconds(10), "audio at the listener");

            ffmpeg.Process.Kill9();
            Assert.True(await listener.WaitForCloseAsync(TimeSpan.FromSeconds(30)), $"the listener was not closed after its source left: {listener}");
            Assert.Null(listener.Error);
            await using var late = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            Assert.Equal(404, late.StatusCode);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    [Fact]
    public async Task An_edge_that_reaches_no_relay_answers_503_at_once_then_serves_the_mount_once_a_relay_and_publisher_start()
    {
        await using var d = new Deployment();
        try
        {
            // Nothing listens on the relay gateway the edge is given, until the relay starts there.
            int gatewayPort = Ports.Free();
            var clock = Stopwatch.StartNew();
            var edge = await d.StartEdgeAsync("--gateway", $"127.0.0.1:{gatewayPort}");
            var healthz = $"http://127.0.0.1:{edge.Port}/healthz";
            await Wait.UntilAsync(async () => await StatusAsync(HttpMethod.Get, healthz) == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(10), "/healthz to answer 503");
            output.WriteLine($"/healthz answered 503 {clock.Elapsed.TotalSeconds:F1} s after the edge was started");
            // Its own site connect timeout is 15 s: a port that waited for it would not answer within this deadline.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"the edge's HTTP port answered only after {clock.Elapsed.TotalSeconds:F0} s");
            using (var http = new HttpClient())
                Assert.Contains("Unhealthy", await (await http.GetAsync(healthz)).Content.ReadAsStringAsync());
            Assert.Contains(await StatusAsync(HttpMethod.Get, edge.Url(Mount)), new[] { HttpStatusCode.NotFound, HttpStatusCode.ServiceUnavailable });
            await using (var early = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: true))
                Assert.Equal(404, early.StatusCode);

            await d.StartRelayAsync("relay-a", "--gateway-port", $"{gatewayPort}");
            d.StartPublisher("studio", Mount, Repo.Fixture("programme.mp3"), priority: 100);
            await Wait.UntilAsync(async () => await StatusAsync(HttpMethod.Get, healthz) == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "/healthz to answer 200");
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            Assert.Equal("HTTP/1.0 200 OK", listener.StatusLine);
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            await ListenerWait.ForFramesAsync(continuity, listener.Audio, FramesPerSecond, TimeSpan.FromSeconds(30), "once the relay came", () => listener.Closed);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    /// <summary>
    /// iOS's player first asks for <c>Range: bytes=0-1</c> without <c>Icy-MetaData</c>. Answered 200 with the stream
    /// (as Icecast 2.4 does; docs/icecast.md), it then asks again without a range and with <c>Icy-MetaData: 1</c>, and
    /// must get metadata. (Answered 206, it would ask again with a range and without <c>Icy-MetaData</c>.)
    /// </summary>
    [Fact]
    public async Task An_ios_range_probe_gets_the_stream_with_200_and_the_request_after_it_gets_icy_metadata()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--icy-metaint", "4000");
            await relay;
            d.StartPublisher("studio", Mount, Repo.Fixture("programme.mp3"), priority: 100, extra: ["--title", "Probe title"]);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));

            // The probe, as iOS sends it: HTTP/1.1, a two-byte range, no Icy-MetaData.
            using (var http = new HttpClient())
            {
                var probe = new HttpRequestMessage(HttpMethod.Get, edge.Url(Mount));
                probe.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 1);
                probe.Headers.UserAgent.ParseAdd("AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4 like Mac OS X; en_us)");
                using var answer = await http.SendAsync(probe, HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                Assert.Null(answer.Content.Headers.ContentRange);
                Assert.False(answer.Headers.Contains("icy-metaint"));
                Assert.Equal("audio/mpeg", answer.Content.Headers.ContentType?.MediaType);
                await using var body = await answer.Content.ReadAsStreamAsync();
                var start = new byte[4096];
                int read = await body.ReadAtLeastAsync(start, start.Length);
                Assert.Equal(start.Length, read);
                // The stream itself, from a frame boundary: an MPEG audio frame sync.
                Assert.Equal(0xFF, start[0]);
                Assert.Equal(0xE0, start[1] & 0xE0);
            }

            // The request after it.
            await using var listener = await IcyClient.ConnectAsync($"http://127.0.0.1:{edge.Port}/{Mount}", new IcyClientOptions { IcyMetadata = true });
            Assert.Equal("HTTP/1.0 200 OK", listener.StatusLine);
            Assert.Equal("4000", listener.Headers["icy-metaint"]);
            await listener.WaitForTitleAsync("Probe title", TimeSpan.FromSeconds(20));
            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.mp3"));
            await ListenerWait.ForFramesAsync(continuity, listener.Audio, 2 * FramesPerSecond, TimeSpan.FromSeconds(30), "after the probe", () => listener.Closed);
            var report = continuity.Check(listener.Audio());
            Assert.True(report.Perfect, report.ToString());
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    [Theory]
    [InlineData("--burst-seconds", "31", "--burst-seconds must be between 0 and 30")]
    [InlineData("--mount-timeout", "100000", "--mount-timeout must be between 0 and 86400 (seconds)")]
    [InlineData("--hls-segment-seconds", "0", "--hls-segment-seconds must be between 1 and 30")]
    [InlineData("--hls-window", "3", "--hls-window must be between 4 and 1000 (segments)")]
    [InlineData("--hls-peer", "edge-b:8000", "--hls-peer: 'edge-b:8000' is not an http:// or https:// base URL (http://HOST:PORT)")]
    public async Task An_edge_option_out_of_range_stops_the_edge_with_a_message_naming_the_option(string option, string value, string message)
    {
        string[] hls = option.StartsWith("--hls") ? ["--hls"] : [];
        using var process = ChildProcess.Dotnet("edge", Repo.ProgramDll("edge-gateway", "davecast-edge"), [.. hls, option, value]);
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, process.Output);
        Assert.DoesNotContain("Unhandled exception", process.Output);
    }

    [Fact]
    public async Task Hls_options_without_hls_stop_the_edge_with_a_message_naming_them()
    {
        using var process = ChildProcess.Dotnet("edge", Repo.ProgramDll("edge-gateway", "davecast-edge"), "--hls-window", "8", "--hls-peer", "http://127.0.0.1:8001");
        Assert.Equal(1, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--hls-window applies with --hls only.", process.Output);
        Assert.Contains("--hls-peer applies with --hls only.", process.Output);
        Assert.DoesNotContain("Unhandled exception", process.Output);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpMethod method, string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.SendAsync(new HttpRequestMessage(method, url), HttpCompletionOption.ResponseHeadersRead);
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }
}
