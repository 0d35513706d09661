using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.EndToEnd;

/// <summary>
/// The edge's pages for people and tools, with real processes: the HTML front page (in Development too, where an
/// exception page would show a stack), and Icecast's XML admin endpoints checked field by field against the real
/// listeners and mounts.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class EdgeAdminTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_front_page_lists_each_mount_with_a_player_and_unknown_paths_get_404_without_a_stack_in_any_environment()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var starting = d.StartEdgeAsync();
            var development = await d.StartEdgeInAsync(new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development", ["ASPNETCORE_ENVIRONMENT"] = "Development" });
            var production = await starting;
            await relay;
            d.StartPublisher("studio", "page.mp3", Repo.Fixture("programme.mp3"), priority: 100, extra: ["--title", "Page <title> & more – ü"]);
            d.StartPublisher("music", "page.aac", Repo.Fixture("programme.aac"), priority: 100);
            foreach (var edge in new[] { production, development })
                foreach (var m in new[] { "page.mp3", "page.aac" }) await Wait.ForMountAsync(edge.Url(m), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(development.Port, "page.mp3", icyMetadata: false);

            using var http = new HttpClient();
            foreach (var edge in new[] { production, development })
            {
                string page = "";
                await Wait.UntilAsync(async () =>
                {
                    using var response = await http.GetAsync($"http://127.0.0.1:{edge.Port}/");
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
                    page = await response.Content.ReadAsStringAsync();
                    return page.Contains("Page &lt;title&gt; &amp; more – ü") && page.Contains($"<td class=\"listeners\">{(edge == development ? 1 : 0)}</td>");
                }, TimeSpan.FromSeconds(20), $"the front page of {edge.Name} to show the title and its listeners");
                output.WriteLine(page);
                var row = Row(page, "page.mp3");
                Assert.Contains("<a href=\"/page.mp3\">/page.mp3</a>", row);
                Assert.Contains("audio/mpeg, MPEG-1 Layer III 44100 Hz", row);
                Assert.Contains("<audio controls preload=\"none\" src=\"/page.mp3\"></audio>", row);
                var aac = Row(page, "page.aac");
                Assert.Contains("audio/aac, AAC (LC) 44100 Hz", aac);
                Assert.Contains("<td class=\"title\"></td>", aac);
                Assert.Contains("<audio controls preload=\"none\" src=\"/page.aac\"></audio>", aac);

                using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"http://127.0.0.1:{edge.Port}/"));
                Assert.Equal(HttpStatusCode.OK, head.StatusCode);
                foreach (var path in new[] { "no-such-mount.mp3", "some/deep/path", "admin/nothing", "favicon.ico" })
                {
                    using var missing = await http.GetAsync($"http://127.0.0.1:{edge.Port}/{path}");
                    var body = await missing.Content.ReadAsStringAsync();
                    Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
                    NoStack(body);
                }
                // A query the admin endpoints cannot read is a plain 400, never an exception page.
                var admin = Admin(d);
                foreach (var path in new[] { "admin/listclients", "admin/killclient?mount=/page.mp3&id=x", "admin/killclient?mount=&id=1" })
                {
                    using var bad = await http.SendAsync(Get($"http://127.0.0.1:{edge.Port}/{path}", admin));
                    Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                    NoStack(await bad.Content.ReadAsStringAsync());
                }
            }
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    [Fact]
    public async Task Admin_xml_gives_every_field_from_the_real_state_and_killclient_closes_that_listener_only()
    {
        await using var d = new Deployment();
        try
        {
            var relay = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync("--max-listeners-per-mount", "5", "--hostname", "radio.example", "--public-port", "8123",
                "--location", "Test lab", "--admin-contact", "ops@example.org");
            await relay;
            d.StartPublisher("studio", "talk.mp3", Repo.Fixture("programme.mp3"), priority: 100,
                extra: ["--title", "Stats title – ü", "--name", "Stats FM", "--genre", "Talk", "--description", "All talk", "--url", "http://stats.example/"]);
            d.StartPublisher("music", "music.aac", Repo.Fixture("programme.aac"), priority: 100);
            foreach (var m in new[] { "talk.mp3", "music.aac" }) await Wait.ForMountAsync(edge.Url(m), TimeSpan.FromSeconds(60));

            var clock = Stopwatch.StartNew();
            await using var one = await Listen(edge, "talk.mp3", "agent-one/1.0");
            await using var two = await Listen(edge, "talk.mp3", "agent-two/2.0 (killed)");
            await using var three = await Listen(edge, "music.aac", "agent-three/3.0");
            var admin = Admin(d);
            using var http = new HttpClient();
            string Url(string path) => $"http://127.0.0.1:{edge.Port}/admin/{path}";

            // Wrong or missing credentials: 401 with Icecast's challenge, for each endpoint.
            foreach (var path in new[] { "stats", "listmounts", "listclients?mount=/talk.mp3", $"killclient?mount=/talk.mp3&id=1" })
            {
                foreach (var credentials in new AuthenticationHeaderValue?[] { null, Basic("admin", "wrong"), Basic("relay", d.RelayPassword) })
                {
                    using var refused = await http.SendAsync(Get(Url(path), credentials));
                    Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                    Assert.Equal("Basic realm=\"Icecast2 Server\"", refused.Headers.WwwAuthenticate.ToString());
                }
            }
            Assert.False(two.Closed, "a refused killclient closed a listener");

            // /admin/stats, once the title has reached the edge.
            XElement stats = null!;
            long readBefore = 0;
            await Wait.UntilAsync(async () =>
            {
                // Read before the stats are asked for: the edge had sent at least this much by then.
                readBefore = one.AudioLength + two.AudioLength;
                stats = await Xml(http, Get(Url("stats"), admin));
                return Source(stats, "/talk.mp3").Element("title")?.Value == "Stats title – ü";
            }, TimeSpan.FromSeconds(20), "the title in /admin/stats");
            output.WriteLine(stats.ToString());
            Fields(stats, ("admin", "ops@example.org"), ("host", "radio.example"), ("location", "Test lab"),
                ("server_id", "Davecast.Orleans (Icecast 2.4 compatible)"), ("sources", "2"), ("listeners", "3"));
            var serverStart = DateTimeOffset.ParseExact(stats.Element("server_start_iso8601")!.Value, "yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.InRange(serverStart, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);

            var talk = Source(stats, "/talk.mp3");
            // What the listener's own response said is the real state the XML must repeat.
            Assert.Equal($"channels={talk.Element("channels")!.Value};samplerate={talk.Element("samplerate")!.Value};bitrate={one.Header("icy-br")}", one.Header("ice-audio-info"));
            Fields(talk, ("bitrate", one.Header("icy-br")), ("audio_info", one.Header("ice-audio-info")), ("samplerate", "44100"),
                ("server_type", "audio/mpeg"), ("server_name", "Stats FM"), ("genre", "Talk"), ("server_description", "All talk"),
                ("server_url", "http://stats.example/"), ("listeners", "2"), ("listener_peak", "2"), ("max_listeners", "5"),
                ("listenurl", "http://radio.example:8123/talk.mp3"));
            Assert.True(long.Parse(talk.Element("total_bytes_sent")!.Value, CultureInfo.InvariantCulture) >= readBefore,
                $"total_bytes_sent {talk.Element("total_bytes_sent")!.Value} is less than the {readBefore} bytes its listeners had read");
            var streamStart = DateTimeOffset.ParseExact(talk.Element("stream_start_iso8601")!.Value, "yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.InRange(streamStart, serverStart, DateTimeOffset.UtcNow);
            Assert.Equal(IcyDate(streamStart), talk.Element("stream_start")!.Value);
            var names = talk.Elements().Select(e => e.Name.LocalName).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), names);
            var music = Source(stats, "/music.aac");
            Fields(music, ("server_type", "audio/aac"), ("listeners", "1"));
            // AAC frames carry no bitrate: the edge measures it over the newest frames, so it may have moved by a
            // kbps or two between the listener's answer and this request.
            int measured = int.Parse(music.Element("bitrate")!.Value, CultureInfo.InvariantCulture);
            int told = int.Parse(three.Header("icy-br")!, CultureInfo.InvariantCulture);
            Assert.InRange(measured, told - 3, told + 3);
            Assert.Null(music.Element("title"));

            // /admin/listclients: each listener with its address, user agent, time connected and id.
            var clients = Source(await Xml(http, Get(Url("listclients?mount=/talk.mp3"), admin)), "/talk.mp3");
            output.WriteLine(clients.ToString());
            Assert.Equal("2", clients.Element("Listeners")!.Value);
            var listed = clients.Elements("listener").ToList();
            Assert.Equal(["agent-one/1.0", "agent-two/2.0 (killed)"], listed.Select(l => l.Element("UserAgent")!.Value));
            foreach (var l in listed)
            {
                Assert.Equal("127.0.0.1", l.Element("IP")!.Value);
                Assert.InRange(long.Parse(l.Element("Connected")!.Value, CultureInfo.InvariantCulture), 0, (long)Math.Ceiling(clock.Elapsed.TotalSeconds));
            }
            var ids = listed.Select(l => long.Parse(l.Element("ID")!.Value, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(2, ids.Distinct().Count());
            var threeId = long.Parse(Source(await Xml(http, Get(Url("listclients?mount=music.aac"), admin)), "/music.aac").Element("listener")!.Element("ID")!.Value, CultureInfo.InvariantCulture);
            Assert.DoesNotContain(threeId, ids);

            // /admin/listmounts.
            var mounts = await Xml(http, Get(Url("listmounts"), admin));
            output.WriteLine(mounts.ToString());
            Assert.Equal(["/music.aac", "/talk.mp3"], mounts.Elements("source").Select(s => s.Attribute("mount")!.Value));
            Assert.Equal("2", Source(mounts, "/talk.mp3").Element("listeners")!.Value);
            Assert.Equal("audio/mpeg", Source(mounts, "/talk.mp3").Element("content-type")!.Value);
            Assert.Equal("audio/aac", Source(mounts, "/music.aac").Element("content-type")!.Value);
            Assert.InRange(long.Parse(Source(mounts, "/talk.mp3").Element("Connected")!.Value, CultureInfo.InvariantCulture), 0,
                (long)Math.Ceiling((DateTimeOffset.UtcNow - streamStart).TotalSeconds) + 1);

            // killclient: the id of another mount is not found there; the right one closes that listener and no other.
            using (var wrongMount = await http.SendAsync(Get(Url($"killclient?mount=/talk.mp3&id={threeId}"), admin)))
            {
                Assert.Equal(HttpStatusCode.OK, wrongMount.StatusCode);
                Assert.Equal($"Client {threeId} not found", XElement.Parse(await wrongMount.Content.ReadAsStringAsync()).Element("message")!.Value);
                Assert.Contains("<return>0</return>", await wrongMount.Content.ReadAsStringAsync());
            }
            using (var kill = await http.SendAsync(Get(Url($"killclient?mount=/talk.mp3&id={ids[1]}"), admin)))
            {
                var body = await kill.Content.ReadAsStringAsync();
                Assert.Equal(HttpStatusCode.OK, kill.StatusCode);
                Assert.Equal($"Client {ids[1]} removed", XElement.Parse(body).Element("message")!.Value);
                Assert.Equal("1", XElement.Parse(body).Element("return")!.Value);
            }
            Assert.True(await two.WaitForCloseAsync(TimeSpan.FromSeconds(10)), $"the killed listener is still open: {two}");
            long before = one.AudioLength;
            await Wait.UntilAsync(() => one.AudioLength > before + 16_000 || one.Closed, TimeSpan.FromSeconds(20), "more audio for the other listener");
            Assert.False(one.Closed, $"the listener that was not killed was closed: {one}");
            Assert.False(three.Closed, $"the listener of another mount was closed: {three}");
            var after = Source(await Xml(http, Get(Url("listclients?mount=/talk.mp3"), admin)), "/talk.mp3");
            Assert.Equal("1", after.Element("Listeners")!.Value);
            Assert.Equal(ids[0].ToString(CultureInfo.InvariantCulture), after.Element("listener")!.Element("ID")!.Value);
            using (var again = await http.SendAsync(Get(Url($"killclient?mount=/talk.mp3&id={ids[1]}"), admin)))
                Assert.Contains("<return>0</return>", await again.Content.ReadAsStringAsync());
            using (var noMount = await http.SendAsync(Get(Url("listclients?mount=/nothing.mp3"), admin)))
                Assert.Equal(HttpStatusCode.NotFound, noMount.StatusCode);
            Assert.Contains($"Listener {ids[1]} on /talk.mp3", d.Logs());
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    private static Task<IcyClient> Listen(Deployment.Edge edge, string mount, string userAgent) =>
        IcyClient.ConnectAsync(edge.Url(mount), new IcyClientOptions { IcyMetadata = false, UserAgent = userAgent });

    private static AuthenticationHeaderValue Admin(Deployment d) => Basic("admin", d.AdminPassword);

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static HttpRequestMessage Get(string url, AuthenticationHeaderValue? credentials)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = credentials;
        return request;
    }

    private static async Task<XElement> Xml(HttpClient http, HttpRequestMessage request)
    {
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{request.RequestUri}: {(int)response.StatusCode} {body}");
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        var root = XDocument.Parse(body).Root!;
        Assert.Equal("icestats", root.Name.LocalName);
        return root;
    }

    private static XElement Source(XElement icestats, string mount) =>
        icestats.Elements("source").SingleOrDefault(s => s.Attribute("mount")?.Value == mount)
        ?? throw new Xunit.Sdk.XunitException($"no source {mount} in {icestats}");

    /// <summary>Each named child element's text, all compared at once so that a failure shows every field.</summary>
    private static void Fields(XElement element, params (string Name, string? Value)[] expected) =>
        Assert.Equal(expected, expected.Select(e => (e.Name, element.Element(e.Name)?.Value)));

    private static string IcyDate(DateTimeOffset t) => t.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    private static string Row(string page, string mount)
    {
        int start = page.IndexOf($"data-mount=\"{mount}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {mount} in the page");
        return page[start..page.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }

    private static void NoStack(string body)
    {
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        Assert.DoesNotContain("<html", body);
    }
}
