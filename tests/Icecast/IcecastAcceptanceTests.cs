using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Icecast;

/// <summary>
/// Two relays and one edge gateway, shared by the Icecast acceptance tests (each test uses its own mounts and
/// kills its own publishers and peers). The edge runs with non-default relay and admin credentials and small limits,
/// so that the tests see them honoured.
/// </summary>
public sealed class IcecastEdgeFixture : IAsyncLifetime
{
    public const string RelayUser = "mirror";
    public const string RelayPassword = "mirror-secret";
    public const string AdminUser = "boss";
    public const string AdminPassword = "boss-secret";
    public const int MaxListenersPerMount = 3;
    public const int ListenerQueueBytes = 65536;
    public const int MetaInt = 16000;

    public Deployment Deployment { get; } = new();

    public Deployment.Edge Edge { get; private set; } = null!;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public string BaseUrl => $"http://127.0.0.1:{Edge.Port}";

    public async Task InitializeAsync()
    {
        try
        {
            await Deployment.StartRelayAsync("relay-a");
            var relayB = Deployment.StartRelayAsync("relay-b");
            Edge = await Deployment.StartEdgeAsync(
                "--relay-user", RelayUser, "--relay-password", RelayPassword,
                "--admin-user", AdminUser, "--admin-password", AdminPassword,
                "--icy-metaint", $"{MetaInt}",
                "--max-listeners", "50", "--max-listeners-per-mount", $"{MaxListenersPerMount}",
                "--listener-queue-bytes", $"{ListenerQueueBytes}", "--burst-bytes", "65536",
                "--hostname", "127.0.0.1");
            await relayB;
        }
        catch (Exception e)
        {
            var logs = Deployment.Logs();
            await Deployment.DisposeAsync();
            throw new InvalidOperationException($"the relays and the edge did not start: {e.Message}\n{logs}", e);
        }
    }

    public async Task DisposeAsync() => await Deployment.DisposeAsync();

    /// <summary>Sets a mount's title through the edge's <c>/admin/metadata?mode=updinfo</c>.</summary>
    public async Task SetTitleAsync(string mount, string title)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await IcecastServer.SetTitleAsync(http, BaseUrl, mount, title, AdminUser, AdminPassword);
    }
}

/// <summary>
/// The edge and the publisher against real Icecast peers: icecast2 mirrors the edge as a slave, ffmpeg pushes to a
/// publisher as to an Icecast server, a publisher pulls an icecast2 mount, and the edge's status, stream list and
/// listener limits are what Icecast clients expect.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IcecastAcceptanceTests(IcecastEdgeFixture fixture, ITestOutputHelper output) : IClassFixture<IcecastEdgeFixture>
{
    // Frames each test checks a listener heard (at 38 or 43 frames a second, on top of a start burst).
    private const int MirrorFrames = 200, PushedFrames = 250, PulledFrames = 150, PulledOverlap = 100;

    private Deployment D => fixture.Deployment;

    private static string Mime(string fixtureName) => fixtureName.EndsWith(".aac", StringComparison.Ordinal) ? "audio/aac" : "audio/mpeg";

    private static string Extension(string fixtureName) => fixtureName.EndsWith(".aac", StringComparison.Ordinal) ? "aac" : "mp3";

    /// <summary>
    /// icecast2 with <c>&lt;master-server&gt;</c> at the edge fetches <c>/admin/streamlist.txt</c> as the edge's relay user
    /// and relays every mount; its listener gets the fixture's frames in order, with the title set at the publisher and
    /// then the one set through the edge's <c>/admin/metadata</c>.
    /// </summary>
    [Fact]
    public async Task Icecast2_slave_of_the_edge_mirrors_every_mount_with_frames_in_order_and_titles()
    {
        var mounts = new (string Mount, string Fixture, string First, string Second)[]
        {
            ("/mirror.mp3", "programme.mp3", "First title", "Second title"),
            ("/mirror.aac", "programme.aac", "AAC first", "AAC second — ünïcode"),
        };
        var publishers = mounts.Select(m => D.StartPublisher($"mirror-{Extension(m.Fixture)}", m.Mount, Repo.Fixture(m.Fixture), priority: 100, null,
            "--title", m.First, "--name", $"Mirror {m.Mount}")).ToList();
        IcecastServer? icecast = null;
        var clients = new List<IcyClient>();
        try
        {
            foreach (var m in mounts) await WhileRunningAsync(Wait.ForMountAsync(fixture.Edge.Url(m.Mount.TrimStart('/')), TimeSpan.FromSeconds(60)), [.. publishers]);
            icecast = await IcecastServer.StartAsync(new IcecastConfig
            {
                Master = new IcecastMaster(fixture.Edge.Port, IcecastEdgeFixture.RelayUser, IcecastEdgeFixture.RelayPassword, UpdateIntervalSeconds: 1),
            });
            var slave = icecast;
            D.Observe("icecast2 (slave of the edge)", () => slave.Output);
            foreach (var m in mounts) await icecast.WaitForMountAsync(m.Mount, TimeSpan.FromSeconds(30));
            foreach (var m in mounts)
            {
                var client = await IcyClient.ConnectAsync(icecast.Url(m.Mount));
                clients.Add(client);
                Assert.True(client.StatusCode == 200, $"icecast2 {m.Mount}: {client.RawHeaders}\n{D.Logs()}");
                Assert.Equal(Mime(m.Fixture), client.Header("Content-Type"));
                Assert.True(client.MetaInt > 0, $"icecast2 {m.Mount} sends no icy-metaint: {client.RawHeaders}");
            }
            // The operator's title follows the source's: set it once the source's has come through icecast2.
            for (int i = 0; i < mounts.Length; i++)
                Assert.True(await clients[i].TryWaitForTitleAsync(mounts[i].First, TimeSpan.FromSeconds(15)),
                    $"icecast2's listener of {mounts[i].Mount}: {PeerChecks.Describe(clients[i])}\n{D.Logs()}");
            foreach (var m in mounts) await fixture.SetTitleAsync(m.Mount, m.Second);
            for (int i = 0; i < mounts.Length; i++)
                Assert.True(await clients[i].TryWaitForTitleAsync(mounts[i].Second, TimeSpan.FromSeconds(15)),
                    $"icecast2's listener of {mounts[i].Mount}: {PeerChecks.Describe(clients[i])}\n{D.Logs()}");
            // The frames checked below, with a metadata interval of audio past the operator's title.
            for (int i = 0; i < mounts.Length; i++)
            {
                var client = clients[i];
                await ListenerWait.ForAudioAfterTitleAsync(client, mounts[i].Second, client.MetaInt, TimeSpan.FromSeconds(15));
                await ListenerWait.ForFramesAsync(FrameContinuity.ForFile(Repo.Fixture(mounts[i].Fixture)), client.Audio, MirrorFrames, TimeSpan.FromSeconds(30),
                    $"from icecast2's {mounts[i].Mount}", () => client.Ended);
            }

            for (int i = 0; i < mounts.Length; i++)
            {
                var (mount, fixtureName, first, second) = mounts[i];
                var client = clients[i];
                Assert.False(client.Ended, $"icecast2 ended {mount}: {client}\n{D.Logs()}");
                var report = PeerChecks.AssertFixtureRun($"icecast2's {mount}", client.Audio(), fixtureName, MirrorFrames,
                    PeerChecks.IcecastLeadingBytes, D.Logs());
                // The title set at the source, then the operator's, in that order.
                var titles = client.Titles.Select(t => t.Title).Where(t => t.Length > 0).ToList();
                int firstAt = titles.IndexOf(first), secondAt = titles.LastIndexOf(second);
                Assert.True(firstAt >= 0 && secondAt > firstAt, $"icecast2's listener of {mount}: {PeerChecks.Describe(client)}\n{D.Logs()}");
                output.WriteLine($"{mount} through icecast2: {report}; {PeerChecks.Describe(client)}");
            }
            // The slave asked for the list as the edge's relay user, and got it.
            Assert.Contains("Master accepted streamlist request", icecast.Output, StringComparison.Ordinal);
        }
        catch
        {
            output.WriteLine(D.Logs(200));
            throw;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
            if (icecast is not null) await icecast.DisposeAsync();
            foreach (var p in publishers) p.Kill9();
        }
    }

    /// <summary>
    /// ffmpeg pushes to a publisher's <c>--listen-source</c> as to Icecast: <c>-f adts</c> and <c>-f mp3</c> with PUT,
    /// and MP3 with the legacy SOURCE method. The edge serves the fixture's frames in order from a frame boundary, and
    /// ffmpeg decodes the recording without an error.
    /// </summary>
    [Fact]
    public async Task Ffmpeg_pushing_to_a_publisher_reaches_listeners_frame_for_frame()
    {
        var pushes = new (string Mount, string Fixture, bool Legacy)[]
        {
            ("/pushed.aac", "programme.aac", false),
            ("/pushed.mp3", "programme.mp3", false),
            ("/pushed-legacy.mp3", "programme.mp3", true),
        };
        const string password = "push-secret";
        var publishers = new List<ChildProcess>();
        var ffmpegs = new List<FfmpegPush>();
        var clients = new List<IcyClient>();
        try
        {
            var ports = new List<int>();
            foreach (var p in pushes)
            {
                int port = Ports.Free();
                ports.Add(port);
                publishers.Add(D.StartPublisherWith($"listen-{p.Mount.Trim('/').Replace('.', '-')}", p.Mount, 100,
                    ["--listen-source", $"127.0.0.1:{port}", "--source-password", password]));
            }
            for (int i = 0; i < pushes.Length; i++)
            {
                await WhileRunningAsync(FfmpegPush.WaitForServerAsync(ports[i], TimeSpan.FromSeconds(30), $"the publisher of {pushes[i].Mount} (--listen-source)"),
                    publishers[i]);
                var push = FfmpegPush.Start(Repo.Fixture(pushes[i].Fixture), ports[i], pushes[i].Mount, password, legacy: pushes[i].Legacy);
                ffmpegs.Add(push);
                D.Track(push.Process);
            }
            for (int i = 0; i < pushes.Length; i++)
            {
                var waiting = Wait.ForMountAsync(fixture.Edge.Url(pushes[i].Mount.TrimStart('/')), TimeSpan.FromSeconds(60));
                await WhileRunningAsync(waiting, publishers[i], ffmpegs[i].Process);
                Assert.Equal(Mime(pushes[i].Fixture), await waiting);
            }
            foreach (var p in pushes)
            {
                var client = await IcyClient.ConnectAsync(fixture.Edge.Url(p.Mount.TrimStart('/')), new IcyClientOptions { IcyMetadata = false });
                clients.Add(client);
                Assert.True(client.StatusCode == 200, $"edge {p.Mount}: {client.RawHeaders}\n{D.Logs()}");
                Assert.Null(client.Header("icy-metaint"));
            }
            for (int i = 0; i < pushes.Length; i++)
            {
                var client = clients[i];
                await ListenerWait.ForFramesAsync(FrameContinuity.ForFile(Repo.Fixture(pushes[i].Fixture)), client.Audio, PushedFrames, TimeSpan.FromSeconds(30),
                    $"from the edge's {pushes[i].Mount}", () => client.Ended);
            }

            for (int i = 0; i < pushes.Length; i++)
            {
                var (mount, fixtureName, legacy) = pushes[i];
                var client = clients[i];
                Assert.False(client.Ended, $"the edge ended {mount}: {client}\n{D.Logs()}");
                foreach (var push in ffmpegs) Assert.False(push.HasExited, $"{push.Process.Name} exited:\n{D.Logs()}");
                var audio = client.Audio();
                // From a frame boundary (no ID3 tag, no partial frame), then every frame in the fixture's order.
                var report = PeerChecks.AssertFixtureRun($"edge {mount}", audio, fixtureName, PushedFrames, leadingBytes: 0, D.Logs());
                var (exit, errors) = await Decoder.DecodeAsync(Decoder.WholeFrames(audio), Extension(fixtureName));
                Assert.True(exit == 0 && errors.Length == 0, $"ffmpeg decoding the edge's {mount}: exit {exit}: {errors}");
                output.WriteLine($"{mount} ({(legacy ? "SOURCE" : "PUT")}): {report}");
            }
        }
        catch
        {
            output.WriteLine(D.Logs(200));
            throw;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
            foreach (var f in ffmpegs) f.Process.Kill9();
            foreach (var p in publishers) p.Kill9();
        }
    }

    /// <summary>
    /// A publisher pulls an icecast2 mount (<c>--source-url</c>) that ffmpeg feeds: what the edge serves is a run of
    /// what icecast2 serves, frame for frame, and a title set on icecast2 reaches the edge's listeners.
    /// </summary>
    [Fact]
    public async Task Publisher_pulling_icecast2_serves_the_same_frames_and_titles()
    {
        ChildProcess? publisher = null;
        FfmpegPush? push = null;
        IcyClient? upstream = null, edgeListener = null;
        await using var icecast = await IcecastServer.StartAsync();
        D.Observe("icecast2 (upstream of the publisher)", () => icecast.Output);
        try
        {
            push = FfmpegPush.Start(Repo.Fixture("programme.mp3"), icecast.Port, "/live.mp3", icecast.Config.SourcePassword, name: "Upstream station");
            D.Track(push.Process);
            await WhileRunningAsync(icecast.WaitForMountAsync("/live.mp3", TimeSpan.FromSeconds(20)), push.Process);
            await icecast.SetTitleAsync("/live.mp3", "Upstream first");
            publisher = D.StartPublisherWith("puller", "/pulled.mp3", 100, ["--source-url", icecast.Url("/live.mp3")]);
            await WhileRunningAsync(Wait.ForMountAsync(fixture.Edge.Url("pulled.mp3"), TimeSpan.FromSeconds(60)), publisher, push.Process);

            upstream = await IcyClient.ConnectAsync(icecast.Url("/live.mp3"));
            edgeListener = await IcyClient.ConnectAsync(fixture.Edge.Url("pulled.mp3"));
            Assert.True(edgeListener.StatusCode == 200, $"edge: {edgeListener.RawHeaders}\n{D.Logs()}");
            Assert.Equal("audio/mpeg", edgeListener.Header("Content-Type"));
            Assert.Equal($"{IcecastEdgeFixture.MetaInt}", edgeListener.Header("icy-metaint"));
            // The second title follows the first: set it once the first has reached the edge's listener.
            Assert.True(await edgeListener.TryWaitForTitleAsync("Upstream first", TimeSpan.FromSeconds(15)),
                $"the edge's listener: {PeerChecks.Describe(edgeListener)}; icecast2's: {PeerChecks.Describe(upstream)}\n{D.Logs()}");
            await icecast.SetTitleAsync("/live.mp3", "Upstream second");
            Assert.True(await edgeListener.TryWaitForTitleAsync("Upstream second", TimeSpan.FromSeconds(15)),
                $"the edge's listener: {PeerChecks.Describe(edgeListener)}; icecast2's: {PeerChecks.Describe(upstream)}\n{D.Logs()}");
            // The frames compared below: enough from each, over a common stretch, with audio past the second title.
            await ListenerWait.ForAudioAfterTitleAsync(edgeListener, "Upstream second", IcecastEdgeFixture.MetaInt, TimeSpan.FromSeconds(15));
            IcyClient up = upstream, edge = edgeListener;
            await Wait.UntilAsync(() => up.Ended || edge.Ended
                    || FrameSequences.Compare(up.Audio(), edge.Audio()) is { FramesA: >= PulledFrames, FramesB: >= PulledFrames, Overlap: >= PulledOverlap },
                TimeSpan.FromSeconds(30), $"{PulledFrames} frames from icecast2 and from the edge, {PulledOverlap} of them in common");

            var fromIcecast = upstream.Audio();
            var fromEdge = edgeListener.Audio();
            Assert.False(edgeListener.Ended, $"the edge ended the stream: {edgeListener}\n{D.Logs()}");
            PeerChecks.AssertFixtureRun("icecast2 /live.mp3", fromIcecast, "programme.mp3", PulledFrames, PeerChecks.IcecastLeadingBytes, D.Logs());
            var report = PeerChecks.AssertFixtureRun("edge /pulled.mp3", fromEdge, "programme.mp3", PulledFrames, leadingBytes: 0, D.Logs());
            // Both listened over the same period: the edge's frames are a contiguous run of icecast2's.
            var comparison = FrameSequences.Compare(fromIcecast, fromEdge);
            Assert.True(comparison.Identical && comparison.Overlap >= PulledOverlap, $"icecast2 vs edge: {comparison}\n{D.Logs()}");
            // The title that was current when the edge's listener joined came with the stream too.
            var titles = edgeListener.Titles.Select(t => t.Title).ToList();
            Assert.True(titles.Contains("Upstream first") && titles.IndexOf("Upstream first") < titles.LastIndexOf("Upstream second"),
                $"the edge's listener: {PeerChecks.Describe(edgeListener)}\n{D.Logs()}");
            output.WriteLine($"edge: {report}; icecast2 vs edge: {comparison}; edge titles: {PeerChecks.Describe(edgeListener)}");
        }
        catch
        {
            output.WriteLine(D.Logs(200));
            throw;
        }
        finally
        {
            if (edgeListener is not null) await edgeListener.DisposeAsync();
            if (upstream is not null) await upstream.DisposeAsync();
            publisher?.Kill9();
            push?.Process.Kill9();
        }
    }

    /// <summary>
    /// <c>/status-json.xsl</c> says what is true, field by field; the per-mount listener limit refuses with 503;
    /// <c>/admin/streamlist.txt</c> wants the relay credentials and lists every mount.
    /// </summary>
    [Fact]
    public async Task Status_json_streamlist_and_listener_limit_tell_the_truth()
    {
        const string mount = "/status.mp3";
        var publisher = D.StartPublisher("status-mp3", mount, Repo.Fixture("programme.mp3"), priority: 100, null,
            "--title", "Status first", "--name", "Status Station", "--genre", "Test Genre", "--description", "A station for tests");
        var clients = new List<IcyClient>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            await WhileRunningAsync(Wait.ForMountAsync(fixture.Edge.Url("status.mp3"), TimeSpan.FromSeconds(60)), publisher);
            await fixture.SetTitleAsync(mount, "Status — title ✓");
            for (int i = 0; i < IcecastEdgeFixture.MaxListenersPerMount; i++)
            {
                var client = await IcyClient.ConnectAsync(fixture.Edge.Url("status.mp3"));
                clients.Add(client);
                Assert.True(client.StatusCode == 200, $"listener {i + 1}: {client.RawHeaders}\n{D.Logs()}");
            }
            // One more than --max-listeners-per-mount: refused, and it never counts as a listener.
            await using (var refused = await IcyClient.ConnectAsync(fixture.Edge.Url("status.mp3")))
                Assert.True(refused.StatusCode == 503, $"listener {IcecastEdgeFixture.MaxListenersPerMount + 1}: {refused.RawHeaders}\n{refused.ErrorBody}\n{D.Logs()}");

            var listenUrl = $"http://127.0.0.1:{fixture.Edge.Port}{mount}";
            var json = await WaitForStatusAsync(http, listenUrl, s => s.Number("listeners") == IcecastEdgeFixture.MaxListenersPerMount
                && s.Title == "Status — title ✓");
            var stats = IcecastStatus.IceStats(json);
            foreach (var field in new[] { "admin", "host", "location", "server_id", "server_start", "server_start_iso8601" })
                Assert.True(stats.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String, $"icestats.{field}: {json}");
            Assert.Equal("127.0.0.1", stats.GetProperty("host").GetString());
            var serverStart = ParseIcecastDate(stats.GetProperty("server_start").GetString()!);
            var serverStartIso = ParseIcecastDate(stats.GetProperty("server_start_iso8601").GetString()!);
            Assert.Equal(serverStart, serverStartIso);
            Assert.InRange(serverStart, fixture.Started.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
            // Icecast's shape: one mount is an object, several an array.
            var sourceKind = stats.GetProperty("source").ValueKind;
            Assert.True(sourceKind == JsonValueKind.Object || (sourceKind == JsonValueKind.Array && stats.GetProperty("source").GetArrayLength() >= 2),
                $"icestats.source: {json}");

            var source = IcecastStatus.Sources(json).Single(s => s.ListenUrl == listenUrl);
            Assert.Equal(3, source.Number("listeners"));
            Assert.Equal(3, source.Number("listener_peak"));
            Assert.Equal("Status — title ✓", source.Title);
            Assert.Equal("Status Station", source.ServerName);
            Assert.Equal("Test Genre", source.Text("genre"));
            Assert.Equal("A station for tests", source.Text("server_description"));
            Assert.Equal("audio/mpeg", source.ServerType);
            Assert.Equal(128, source.Number("bitrate"));
            Assert.Contains("samplerate=44100", source.Text("audio_info") ?? "", StringComparison.Ordinal);
            var streamStart = ParseIcecastDate(source.Text("stream_start") ?? throw new Xunit.Sdk.XunitException($"no stream_start: {json}"));
            Assert.Equal(streamStart, ParseIcecastDate(source.Text("stream_start_iso8601") ?? throw new Xunit.Sdk.XunitException($"no stream_start_iso8601: {json}")));
            Assert.InRange(streamStart, fixture.Started.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));

            // A listener leaves: listeners follows, the peak stays.
            await clients[0].DisposeAsync();
            clients.RemoveAt(0);
            json = await WaitForStatusAsync(http, listenUrl, s => s.Number("listeners") == 2);
            Assert.Equal(3, IcecastStatus.Sources(json).Single(s => s.ListenUrl == listenUrl).Number("listener_peak"));

            // The stream list: the relay credentials, nothing else.
            var streamlist = $"{fixture.BaseUrl}/admin/streamlist.txt";
            foreach (var (user, password) in new[] { ("mirror", "wrong"), ("boss", IcecastEdgeFixture.AdminPassword), ("relay", "hackme") })
            {
                using var wrong = new HttpRequestMessage(HttpMethod.Get, streamlist);
                wrong.Headers.Authorization = IcecastServer.BasicAuth(user, password);
                using var response = await http.SendAsync(wrong);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"streamlist as {user}:{password}: {(int)response.StatusCode}");
            }
            using (var anonymous = await http.GetAsync(streamlist))
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            // Every mount, one "/mount" per line: the same set as status-json.xsl lists (asked again if a mount came or
            // went in between).
            string? list = null;
            HashSet<string>? listed = null, inStatus = null;
            for (int attempt = 0; attempt < 5; attempt++)
            {
                using var right = new HttpRequestMessage(HttpMethod.Get, streamlist);
                right.Headers.Authorization = IcecastServer.BasicAuth(IcecastEdgeFixture.RelayUser, IcecastEdgeFixture.RelayPassword);
                using var response = await http.SendAsync(right);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
                list = await response.Content.ReadAsStringAsync();
                var lines = list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
                Assert.All(lines, l => Assert.Matches("^/[^/\\s]+$", l));
                Assert.True(list.EndsWith('\n'), $"the stream list does not end its last line: '{list}'");
                listed = [.. lines];
                inStatus = [.. IcecastStatus.Sources(await http.GetStringAsync($"{fixture.BaseUrl}/status-json.xsl"))
                    .Select(s => new Uri(s.ListenUrl!).AbsolutePath)];
                if (listed.SetEquals(inStatus)) break;
                await Task.Delay(500);
            }
            Assert.Contains(mount, listed!);
            Assert.True(listed!.SetEquals(inStatus!), $"streamlist.txt: [{string.Join(", ", listed!)}]; status-json.xsl: [{string.Join(", ", inStatus!)}]");
            output.WriteLine($"status: {json}\nstreamlist: {list}");
        }
        catch
        {
            output.WriteLine(D.Logs(200));
            throw;
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
            publisher.Kill9();
        }
    }

    /// <summary>
    /// A listener that never reads (tiny receive buffer and MSS, so that the kernel holds little for it) is dropped
    /// once its queue passes <c>--listener-queue-bytes</c>: the edge closes its connection and logs it, while a reading
    /// listener of the same mount keeps every frame in order.
    /// </summary>
    [Fact]
    public async Task A_listener_that_never_reads_is_dropped_and_the_others_keep_every_frame()
    {
        const string mount = "/stall.mp3";
        var publisher = D.StartPublisher("stall-mp3", mount, Repo.Fixture("programme.mp3"), priority: 100);
        IcyClient? reader = null, stalled = null;
        try
        {
            await WhileRunningAsync(Wait.ForMountAsync(fixture.Edge.Url("stall.mp3"), TimeSpan.FromSeconds(60)), publisher);
            reader = await IcyClient.ConnectAsync(fixture.Edge.Url("stall.mp3"), new IcyClientOptions { IcyMetadata = false });
            Assert.True(reader.StatusCode == 200, $"reader: {reader.RawHeaders}\n{D.Logs()}");
            int logLength = fixture.Edge.Process.Output.Length;
            stalled = await IcyClient.ConnectAsync(fixture.Edge.Url("stall.mp3"),
                new IcyClientOptions { DoNotRead = true, IcyMetadata = false, ReceiveBufferSize = 1024, MaxSegmentSize = 88 });

            // 128 kbit/s passes a 64 KiB queue (plus the socket buffers) within seconds. Only this test's listeners are
            // on the edge now, so any drop it logs from here on is the stalled listener's.
            var dropped = new Regex(@"dropp|too slow|fell .*behind", RegexOptions.IgnoreCase);
            string DropLines() => string.Join('\n', fixture.Edge.Process.Output[logLength..].Split('\n').Where(l => dropped.IsMatch(l)));
            await Wait.UntilAsync(() => DropLines().Length > 0, TimeSpan.FromSeconds(60),
                $"the edge to log that it dropped the listener that does not read\n{D.Logs()}");
            Assert.True(await stalled.DrainUntilClosedAsync(TimeSpan.FromSeconds(10)),
                $"the stalled listener's connection is still open after {stalled.DrainedBytes} bytes; edge says: {DropLines()}\n{D.Logs()}");
            // The reader goes on after the drop: three more seconds of audio (128 kbit/s) reach it.
            long before = reader.AudioLength;
            IcyClient reading = reader;
            await Wait.UntilAsync(() => reading.Ended || reading.AudioLength >= before + 48_000, TimeSpan.FromSeconds(15), "audio after the drop");
            Assert.False(reader.Ended, $"the reading listener was dropped too: {reader}\n{D.Logs()}");
            Assert.True(reader.AudioLength > before, $"the reading listener stalled after the drop: {reader}\n{D.Logs()}");
            var report = PeerChecks.AssertFixtureRun("reader", reader.Audio(), "programme.mp3", minFrames: 200, leadingBytes: 0, D.Logs());
            output.WriteLine($"reader: {report}; the stalled listener got {stalled.DrainedBytes} bytes after the drop; edge: {DropLines()}");
        }
        catch
        {
            output.WriteLine(D.Logs(200));
            throw;
        }
        finally
        {
            if (stalled is not null) await stalled.DisposeAsync();
            if (reader is not null) await reader.DisposeAsync();
            publisher.Kill9();
        }
    }

    /// <summary>
    /// Awaits <paramref name="wait"/>, but fails at once, with the logs, when one of the processes that should make it
    /// come true exits first (a publisher refusing its options, an ffmpeg that could not connect).
    /// </summary>
    private async Task WhileRunningAsync(Task wait, params ChildProcess[] processes)
    {
        while (await Task.WhenAny(wait, Task.Delay(250)) != wait)
        {
            var gone = processes.FirstOrDefault(p => p.HasExited);
            if (gone is not null)
                throw new Xunit.Sdk.XunitException($"{gone.Name} exited ({gone.ExitCode}) while waiting:\n{gone.Output}\n{D.Logs()}");
        }
        await wait;
    }

    /// <summary>Fetches <c>/status-json.xsl</c> until the mount's entry satisfies <paramref name="ready"/>; returns the text.</summary>
    private async Task<string> WaitForStatusAsync(HttpClient http, string listenUrl, Func<IcecastStatus.Source, bool> ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        string json = "";
        while (DateTime.UtcNow < deadline)
        {
            json = await http.GetStringAsync($"{fixture.BaseUrl}/status-json.xsl");
            var source = IcecastStatus.Sources(json).FirstOrDefault(s => s.ListenUrl == listenUrl);
            if (source is not null && ready(source)) return json;
            await Task.Delay(250);
        }
        throw new Xunit.Sdk.XunitException($"status-json.xsl never showed {listenUrl} as expected; last: {json}\n{D.Logs()}");
    }

    /// <summary>
    /// Icecast's dates: <c>Tue, 24 Nov 2026 08:58:26 +0000</c> (server_start, stream_start) and
    /// <c>2026-11-24T08:58:26+0000</c> (the _iso8601 fields).
    /// </summary>
    private static DateTimeOffset ParseIcecastDate(string text)
    {
        // "+0000" -> "+00:00", which .NET's offset patterns read.
        var normalized = Regex.Replace(text.Trim(), @"([+-]\d\d)(\d\d)$", "$1:$2");
        string[] formats = ["ddd, dd MMM yyyy HH:mm:ss zzz", "ddd, d MMM yyyy HH:mm:ss zzz", "yyyy-MM-ddTHH:mm:sszzz", "yyyy-MM-ddTHH:mm:ssZ", "r", "o"];
        Assert.True(DateTimeOffset.TryParseExact(normalized, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at),
            $"not an Icecast date: '{text}'");
        return at;
    }
}
