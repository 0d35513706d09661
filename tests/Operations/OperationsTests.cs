using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Davecast.Silo.Operations;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Operations;

/// <summary>
/// What an operator and a monitoring system see, on real processes: the relay's mount-health page in headless
/// Chromium behind the admin credentials, <c>/metrics</c> in Prometheus' text format agreeing with what a listener
/// received, and <c>/healthz</c>.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class OperationsTests(OperationsDeployment ops, ITestOutputHelper output) : IClassFixture<OperationsDeployment>
{
    private static readonly HttpClient Http = new(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.All }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Mount_health_page_shows_every_mount_and_its_live_encoder_in_headless_chromium()
    {
        var relay = ops.Relays.Single(r => r.Name == "relay-a");
        try
        {
            foreach (var path in new[] { "/", "/mounts", "/mounts.json", "/DashboardCounters" })
            {
                using var anonymous = await Http.GetAsync(OperationsDeployment.Dashboard(relay, path));
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
            }
            using (var wrong = await GetAsAdminAsync(OperationsDeployment.Dashboard(relay, "/mounts"), password: "wrong"))
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

            // A listener, so that the edge reports one to the mount grains and the history counts it.
            await using var listener = new StreamRecorder();
            await listener.StartAsync(ops.Edge.Url("programme.aac"));

            // The page shows what the grains know: wait until both mounts have elected their encoder, both relays
            // carry each encoder, and the history (a sample every 10 s) has two samples, one with the listener.
            string[] relays = [.. ops.Relays.Select(r => r.Name).Order(StringComparer.Ordinal)];
            await Wait.UntilAsync(async () =>
            {
                using var response = await GetAsAdminAsync(OperationsDeployment.Dashboard(relay, "/mounts.json"));
                if (!response.IsSuccessStatusCode) return false;
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var mounts = doc.RootElement.GetProperty("mounts").EnumerateArray().ToDictionary(m => m.GetProperty("mount").GetString()!, m => m.Clone());
                return OperationsDeployment.Mounts.All(m => mounts.TryGetValue(m.Mount, out var mount)
                    && mount.TryGetProperty("live", out var live) && live.GetString() == m.Encoder
                    && mount.GetProperty("encoders").EnumerateArray().All(e => e.GetProperty("relays").EnumerateArray().Select(r => r.GetString()).SequenceEqual(relays))
                    && mount.GetProperty("history").GetProperty("points").GetArrayLength() >= 2)
                    && mounts["programme.aac"].GetProperty("history").GetProperty("points").EnumerateArray().Any(p => p.GetProperty("listeners").GetInt32() >= 1);
            }, TimeSpan.FromSeconds(60), "both mounts' live encoders, both relays and two history samples in /mounts.json");

            var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "mount-health.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            File.Delete(screenshot);
            var url = $"http://{OperationsDeployment.AdminUser}:{OperationsDeployment.AdminPassword}@127.0.0.1:{relay.DashboardPort}/mounts";
            var dom = await HeadlessChromium.LoadAsync(url, screenshot, TimeSpan.FromSeconds(60));
            output.WriteLine($"Screenshot of the mount-health page: {screenshot}");

            // Rendered by the page's script from /mounts.json: a row per mount, its live encoder and the relays that
            // carry it in the row, and the same relays beside the encoder.
            var carried = Regex.Escape(string.Join(", ", relays));
            foreach (var (mount, encoder) in OperationsDeployment.Mounts)
            {
                Assert.Matches(new Regex($"data-mount=\"{Regex.Escape(mount)}\".*?<td class=\"live\">{Regex.Escape(encoder)}</td><td class=\"relays\">{carried}</td>", RegexOptions.Singleline), dom);
                Assert.Matches(new Regex($"<td class=\"live encoder\">{Regex.Escape(encoder)} \\(live\\)</td>(<td[^>]*>[^<]*</td>){{4}}<td class=\"relays\">{carried}</td>", RegexOptions.Singleline), dom);
                // The history graph: an SVG per mount with its samples drawn as lines (frame rate, listeners), and
                // the first election as a mark.
                var graph = Regex.Match(dom, $"<svg class=\"history\"[^>]*data-mount=\"{Regex.Escape(mount)}\" data-points=\"(\\d+)\".*?</svg>", RegexOptions.Singleline);
                Assert.True(graph.Success, $"no history graph of {mount}");
                Assert.True(int.Parse(graph.Groups[1].Value) >= 2, $"{mount}'s graph has {graph.Groups[1].Value} samples");
                foreach (var series in new[] { "fps", "listeners" })
                {
                    var line = Regex.Match(graph.Value, $"<polyline class=\"{series}\" points=\"([^\"]*)\"");
                    Assert.True(line.Success && line.Groups[1].Value.Split(' ').Length >= 2, $"{mount}'s graph draws no {series} line");
                }
                Assert.Matches(new Regex($"<line class=\"mark first\"[^>]*><title>[^<]*first: \\(none\\) -&gt; {Regex.Escape(encoder)}</title>"), graph.Value);
            }
            Assert.Contains("updated ", dom);
            Assert.True(new FileInfo(screenshot).Length > 1000, "the screenshot is missing or empty");

            // The dashboard's own page links to it (also when served gzipped).
            using var dashboard = await GetAsAdminAsync(OperationsDeployment.Dashboard(relay));
            Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
            Assert.Contains("href=\"/mounts\"", await dashboard.Content.ReadAsStringAsync());

            // Without --orleans-dashboard (relay-b): / leads to the mount health page, and no dashboard API answers.
            var plain = ops.Relays.Single(r => r.Name == "relay-b");
            using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            using (var request = new HttpRequestMessage(HttpMethod.Get, OperationsDeployment.Dashboard(plain)))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{OperationsDeployment.AdminUser}:{OperationsDeployment.AdminPassword}")));
                using var root = await noRedirect.SendAsync(request);
                Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
                Assert.Equal("/mounts", root.Headers.Location?.OriginalString);
            }
            using (var counters = await GetAsAdminAsync(OperationsDeployment.Dashboard(plain, "/DashboardCounters")))
                Assert.Equal(HttpStatusCode.NotFound, counters.StatusCode);
        }
        catch
        {
            output.WriteLine(ops.Deployment.Logs());
            throw;
        }
    }

    [Fact]
    public async Task Metrics_move_with_the_audio_and_agree_with_what_a_listener_received()
    {
        const string mount = "programme.aac";
        const int burstBytes = 64 * 1024; // the edge's default --burst-bytes
        var edgeMetrics = $"http://127.0.0.1:{ops.Edge.Port}/metrics";
        try
        {
            await using var listener = new StreamRecorder();
            await listener.StartAsync(ops.Edge.Url(mount));
            await Wait.UntilAsync(() => listener.Length > burstBytes, TimeSpan.FromSeconds(30), "the listener's burst");

            var edgeBefore = await PrometheusText.ScrapeAsync(edgeMetrics);
            var relaysBefore = await Task.WhenAll(ops.Relays.Select(r => PrometheusText.ScrapeAsync(OperationsDeployment.Dashboard(r, "/metrics"))));
            var heardBefore = listener.Bytes();
            // The measuring window: counters and heard bytes over the same 4 s are compared.
            await Task.Delay(TimeSpan.FromSeconds(4));
            var heardAfter = listener.Bytes();
            var edgeAfter = await PrometheusText.ScrapeAsync(edgeMetrics);
            var relaysAfter = await Task.WhenAll(ops.Relays.Select(r => PrometheusText.ScrapeAsync(OperationsDeployment.Dashboard(r, "/metrics"))));

            var byMount = ("mount", mount);
            double emitted = edgeAfter.Sum("davecast_edge_frames_out_total", byMount) - edgeBefore.Sum("davecast_edge_frames_out_total", byMount);
            var continuity = FrameContinuity.ForFile(Repo.Fixture(mount));
            var frames = continuity.Identify(heardAfter, out _);
            int heard = frames.Count - continuity.Identify(heardBefore, out _).Count;
            int burstFrames = frames.Count(f => f.End <= burstBytes);
            output.WriteLine($"edge emitted {emitted} frames of {mount} between the scrapes; the listener got {heard} (burst: {burstFrames} frames)");
            Assert.True(emitted > 0, "davecast_edge_frames_out_total did not move");
            Assert.True(heard > 0, "the listener received nothing");
            Assert.True(emitted >= heard - burstFrames, $"the edge counts {emitted} frames emitted, but a listener received {heard}");
            // Every frame the listener ever received was emitted, and counted, before the last scrape.
            Assert.True(edgeAfter.Sum("davecast_edge_frames_out_total", byMount) >= frames.Count);
            Assert.True(continuity.Check(heardAfter).Perfect, continuity.Check(heardAfter).ToString());

            Assert.Equal(1, edgeAfter.Sum("davecast_edge_listeners", byMount));
            Assert.True(edgeAfter.Sum("davecast_edge_listener_bytes_total", byMount) >= heardAfter.Length - burstBytes);
            foreach (var name in new[] { "davecast_edge_duplicates_total", "davecast_edge_late_frames_total", "davecast_edge_gap_frames_total",
                         "davecast_edge_backfills_total", "davecast_edge_substituted_frames_total", "davecast_edge_failovers_total", "davecast_edge_switches_total" })
                Assert.NotEmpty(edgeAfter.Find(name, byMount));
            Assert.NotEmpty(edgeAfter.Find("davecast_edge_listeners_dropped_total"));
            Assert.NotEmpty(edgeAfter.Find("davecast_edge_listeners_refused_total", ("reason", "edge_full")));
            // The managed heap (the soak's leak check): every program with a /metrics exports it.
            Assert.True(edgeAfter.Sum("davecast_gc_heap_bytes") > 0, "the edge exports no davecast_gc_heap_bytes");

            for (int i = 0; i < relaysAfter.Length; i++)
            {
                var (before, after) = (relaysBefore[i], relaysAfter[i]);
                Assert.True(after.Sum("davecast_relay_frames_in_total") > before.Sum("davecast_relay_frames_in_total"), $"{ops.Relays[i].Name}: frames in did not move");
                Assert.True(after.Sum("davecast_relay_batches_published_total") > before.Sum("davecast_relay_batches_published_total"));
                // The publishers send every frame over UDP and over TCP: one copy is in, the other a duplicate.
                Assert.True(after.Sum("davecast_relay_packets_received_total", ("transport", "udp")) > 0);
                Assert.True(after.Sum("davecast_relay_packets_received_total", ("transport", "tcp")) > 0);
                Assert.True(after.Sum("davecast_relay_duplicates_total") > 0);
                Assert.NotEmpty(after.Find("davecast_relay_gaps_total"));
                Assert.True(after.Sum("davecast_gc_heap_bytes") > 0, $"{ops.Relays[i].Name} exports no davecast_gc_heap_bytes");
                foreach (var reason in Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None))
                    Assert.NotEmpty(after.Find("davecast_relay_packets_rejected_total", ("reason", RelayMetrics.SnakeCase(reason.ToString()))));
            }

            // A datagram too short to be a packet is rejected, and counted under its reason.
            var relay = ops.Relays[0];
            double tooShort = relaysAfter[0].Sum("davecast_relay_packets_rejected_total", ("reason", "too_short"));
            using (var udp = new UdpClient())
                await udp.SendAsync(Encoding.ASCII.GetBytes("not a packet"), new IPEndPoint(IPAddress.Loopback, relay.IngestPort));
            await Wait.UntilAsync(async () =>
                (await PrometheusText.ScrapeAsync(OperationsDeployment.Dashboard(relay, "/metrics"))).Sum("davecast_relay_packets_rejected_total", ("reason", "too_short")) > tooShort,
                TimeSpan.FromSeconds(10), "the rejected packet in davecast_relay_packets_rejected_total{reason=\"too_short\"}");
        }
        catch
        {
            output.WriteLine(ops.Deployment.Logs());
            throw;
        }
    }

    [Fact]
    public async Task Healthz_answers_healthy_on_relays_and_edge_without_credentials()
    {
        var urls = ops.Relays.Select(r => OperationsDeployment.Dashboard(r, "/healthz")).Append($"http://127.0.0.1:{ops.Edge.Port}/healthz");
        foreach (var url in urls)
        {
            // The edge is healthy once its catalog has reached the cluster; the fixture waited for audio, so it has.
            using var response = await Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
        }
    }

    private static Task<HttpResponseMessage> GetAsAdminAsync(string url, string password = OperationsDeployment.AdminPassword)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{OperationsDeployment.AdminUser}:{password}")));
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        return Http.SendAsync(request);
    }
}
