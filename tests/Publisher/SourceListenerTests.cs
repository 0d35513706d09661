using System.Net.Http.Headers;
using Davecast.Frames;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;
using static Davecast.Tests.Publisher.RawSourceClient;
using static Davecast.Tests.Publisher.RunningPublisher;

namespace Davecast.Tests.Publisher;

/// <summary>The publisher accepting Icecast source clients (--listen-source), written by hand over real loopback sockets.</summary>
public sealed class SourceListenerTests(ITestOutputHelper output)
{
    private readonly TestLogging _logging = new(output);
    private readonly int _port = Ports.Free();

    [Fact]
    public async Task A_put_with_expect_100_continue_streams_its_frames_and_updinfo_sets_the_title_from_the_next_frame()
    {
        using var audio = TestAudio.Cut("programme.aac", 2);
        await using var relay = FakeRelay.Start();
        await using var publisher = await StartAsync(relay, "--source-password", "s3cret", "--genre", "Override");

        using var client = await ConnectAsync(_port);
        await client.SendAsync(
            $"PUT /live.aac HTTP/1.1\r\nHost: 127.0.0.1:{_port}\r\nAuthorization: {Basic("source", "s3cret")}\r\nContent-Type: audio/aac\r\n"
            + "Expect: 100-continue\r\nice-name: Studio One\r\nice-genre: Talk\r\nice-public: 1\r\nice-bitrate: 48\r\nUser-Agent: test\r\n\r\n");
        // As Icecast 2.4 answers: 100 Continue, then 200 OK.
        Assert.Equal("HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\n\r\n", await client.ReadUntilAsync("200 OK\r\n\r\n"));

        // Half the frames; the last of them waits for the next one to confirm it.
        int half = audio.Frames.Count / 2;
        await client.SendAsync(audio.Frames.Take(half).SelectMany(f => f.Data).ToArray());
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count == half - 1, TimeSpan.FromSeconds(10), "the first half");

        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(Basic("source", "s3cret"));
        var answer = await http.GetStringAsync($"http://127.0.0.1:{_port}/admin/metadata?mode=updinfo&mount=%2Flive.aac&song=Caf%C3%A9+%E2%80%93+Live");
        Assert.Equal("<?xml version=\"1.0\"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n", answer);

        await client.SendAsync(audio.Frames.Skip(half).SelectMany(f => f.Data).ToArray());
        client.EndBody();
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count == audio.Frames.Count, TimeSpan.FromSeconds(10), "every frame");
        Assert.Equal(0, await publisher.StopAsync());

        var frames = Audio(relay.Tcp);
        Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
        Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));
        Assert.Equal([new TitleUpdate((ulong)half - 1, "Café – Live")], Titles(relay.Tcp));
        Assert.Equal(
            [new("icy-name", "Studio One"), new("icy-genre", "Override"), new("icy-br", "48"), new("icy-pub", "1")],
            LastAnnounce(relay.Tcp).Headers.ToArray());
    }

    [Theory]
    [InlineData("HTTP/1.0", "\r\n")]
    [InlineData("ICE/1.0", "\n")]
    public async Task A_legacy_source_request_streams_its_frames_and_a_title_set_before_it_applies_to_its_first_frame(string version, string newline)
    {
        using var audio = TestAudio.Cut("programme.mp3", 1.5);
        await using var relay = FakeRelay.Start();
        await using var publisher = await StartAsync(relay, "--mount", "/live.mp3", "--admin-password", "adm1n");

        // Set by the admin login, in Latin-1, while no source is connected: it waits for the first frame.
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(Basic("admin", "adm1n"));
            var answer = await http.GetStringAsync($"http://127.0.0.1:{_port}/admin/metadata.xsl?mount=/live.mp3&mode=updinfo&song=Caf%E9&charset=ISO-8859-1");
            Assert.Contains("<return>1</return>", answer);
        }

        using var client = await ConnectAsync(_port);
        var login = version == "ICE/1.0" ? "ice-password: hackme" : $"Authorization: {Basic("source", "hackme")}";
        // A legacy source client sends its audio at once, without waiting for the answer.
        await client.SendAsync($"SOURCE /live.mp3 {version}{newline}{login}{newline}Content-Type: audio/mpeg{newline}ice-name: Legacy{newline}{newline}");
        await client.SendAsync(await File.ReadAllBytesAsync(audio.Path));
        client.EndBody();
        Assert.Equal("HTTP/1.0 200 OK\r\n\r\n", await client.ReadUntilAsync("\r\n\r\n"));
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count == audio.Frames.Count, TimeSpan.FromSeconds(10), "every frame");
        Assert.Equal(0, await publisher.StopAsync());

        Assert.Equal(audio.Frames.Select(f => f.Data), Audio(relay.Tcp).Select(p => Assert.Single(p.Frames)));
        Assert.Equal([new TitleUpdate(0, "Café")], Titles(relay.Tcp));
        Assert.Equal([new("icy-name", "Legacy"), new("icy-pub", "0")], LastAnnounce(relay.Tcp).Headers.ToArray());
    }

    [Fact]
    public async Task Requests_are_refused_as_icecast_refuses_them_and_a_second_source_finds_the_mountpoint_in_use()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        await using var relay = FakeRelay.Start();
        await using var publisher = await StartAsync(relay);
        var source = Basic("source", "hackme");

        var wrongPassword = await AnswerAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {Basic("source", "guess")}\r\nContent-Type: audio/aac\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 401 ", wrongPassword);
        Assert.Contains("\r\nWWW-Authenticate: Basic realm=\"Icecast2 Server\"\r\n", wrongPassword);
        Assert.StartsWith("HTTP/1.0 401 ", await AnswerAsync("SOURCE /live.aac HTTP/1.0\r\nContent-Type: audio/aac\r\n\r\n"));
        var wrongMount = await AnswerAsync($"PUT /other.aac HTTP/1.1\r\nAuthorization: {source}\r\nContent-Type: audio/aac\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 404 ", wrongMount);
        Assert.Contains("Mount /other.aac is not served here: this publisher takes sources for /live.aac", wrongMount);
        Assert.StartsWith("HTTP/1.0 415 ", await AnswerAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {source}\r\nContent-Type: application/ogg\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 401 ", await AnswerAsync($"GET /admin/metadata?mode=updinfo&mount=/live.aac&song=x HTTP/1.0\r\nAuthorization: {Basic("admin", "hackme")}\r\n\r\n"));
        var otherMount = await AnswerAsync($"GET /admin/metadata?mode=updinfo&mount=/other.aac&song=x HTTP/1.0\r\nAuthorization: {source}\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 400 ", otherMount);
        Assert.Contains("<return>0</return>", otherMount);
        Assert.StartsWith("HTTP/1.0 404 ", await AnswerAsync("GET /live.aac HTTP/1.0\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 405 ", await AnswerAsync("DELETE /live.aac HTTP/1.1\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 400 ", await AnswerAsync("hello\r\n\r\n"));
        Assert.StartsWith("HTTP/1.0 431 ", await AnswerAsync($"PUT /live.aac HTTP/1.1\r\nX-Junk: {new string('x', 20_000)}\r\n\r\n"));

        // One source streams; a second one is refused while it does.
        using var first = await ConnectAsync(_port);
        await first.SendAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {source}\r\nContent-Type: audio/aac\r\n\r\n");
        await first.ReadUntilAsync("200 OK\r\n\r\n");
        await first.SendAsync(await File.ReadAllBytesAsync(audio.Path));
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count > 0, TimeSpan.FromSeconds(10), "the first source's frames");
        var second = await AnswerAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {source}\r\nContent-Type: audio/aac\r\n\r\n");
        Assert.StartsWith("HTTP/1.0 403 ", second);
        Assert.EndsWith("\r\n\r\nMountpoint in use\r\n", second);

        // Each refusal is logged; the same one again, straight after, only at debug level.
        Assert.Equal(2, _logging.Lines.Count(l => l.Contains(" Warning ") && l.Contains("401 You need to authenticate")));
        Assert.Single(_logging.Lines, l => l.Contains(" Debug ") && l.Contains("401 You need to authenticate"));
        Assert.Equal(0, await publisher.StopAsync());
    }

    [Fact]
    public async Task When_the_source_client_goes_the_session_waits_and_goes_on_with_the_next_one()
    {
        using var audio = TestAudio.Cut("programme.aac", 2);
        await using var relay = FakeRelay.Start();
        await using var publisher = await StartAsync(relay);
        int part = audio.Frames.Count / 3;

        using (var first = await ConnectAsync(_port))
        {
            await first.SendAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {Basic("source", "hackme")}\r\nContent-Type: audio/aac\r\nice-name: One\r\n\r\n");
            await first.ReadUntilAsync("200 OK\r\n\r\n");
            await first.SendAsync(audio.Frames.Take(part).SelectMany(f => f.Data).ToArray());
            first.EndBody();
            await Wait.UntilAsync(() => _logging.Lines.Any(l => l.Contains("is gone after")), TimeSpan.FromSeconds(10), "the first source client to go");
        }
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count == part, TimeSpan.FromSeconds(10), "every frame of the first source client");

        // Chunked, as curl -T - sends it.
        using (var second = await ConnectAsync(_port))
        {
            await second.SendAsync($"PUT /live.aac HTTP/1.1\r\nAuthorization: {Basic("source", "hackme")}\r\nContent-Type: audio/aac\r\nTransfer-Encoding: chunked\r\nice-name: Two\r\n\r\n");
            await second.ReadUntilAsync("200 OK\r\n\r\n");
            foreach (var chunk in audio.Frames.Skip(part).Chunk(7))
            {
                var data = chunk.SelectMany(f => f.Data).ToArray();
                await second.SendAsync([.. System.Text.Encoding.ASCII.GetBytes($"{data.Length:x};ext=1\r\n"), .. data, (byte)'\r', (byte)'\n']);
            }
            await second.SendAsync("0\r\nX-Trailer: 1\r\n\r\n");
            await Wait.UntilAsync(() => Audio(relay.Tcp).Count == audio.Frames.Count, TimeSpan.FromSeconds(10), "the second source's frames");
        }
        Assert.Equal(0, await publisher.StopAsync());

        var frames = Audio(relay.Tcp);
        Assert.Single(frames.Select(p => p.Session).Distinct());
        Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
        Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));
        Assert.Equal([new("icy-name", "Two"), new("icy-pub", "0")], LastAnnounce(relay.Tcp).Headers.ToArray());
    }

    private async Task<RunningPublisher> StartAsync(FakeRelay relay, params string[] args)
    {
        string[] all = ["--relay", relay.Address, "--transport", "tcp", "--listen-source", $"127.0.0.1:{_port}", .. args];
        if (!args.Contains("--mount")) all = ["--mount", "live.aac", .. all];
        var publisher = Start(_logging, output, all);
        await Wait.UntilAsync(() => _logging.Lines.Any(l => l.Contains("Waiting for an Icecast source client")) || publisher.HasExited,
            TimeSpan.FromSeconds(10), "the source port");
        Assert.False(publisher.HasExited);
        return publisher;
    }

    // Sends one request and reads the whole answer, up to the publisher's closing of the connection.
    private async Task<string> AnswerAsync(string request)
    {
        using var client = await ConnectAsync(_port);
        await client.SendAsync(request);
        return await client.ReadToEndAsync();
    }
}

/// <summary>Real ffmpeg pushing a fixture, unchanged (-c copy), to the publisher's source port.</summary>
[Collection(ProcessCollection.Name)]
public sealed class FfmpegSourceTests(ITestOutputHelper output)
{
    private const double Seconds = 3;

    private readonly TestLogging _logging = new(output);

    [Theory]
    [InlineData("programme.aac", "adts", "")]
    [InlineData("programme.mp3", "mp3", "audio/mpeg")]
    public async Task Ffmpeg_pushing_a_fixture_with_copy_delivers_its_frames_byte_for_byte(string fixture, string format, string contentType)
    {
        var expected = FrameFile.ReadAll(Repo.Fixture(fixture));
        int port = Ports.Free();
        await using var relay = FakeRelay.Start();
        await using var publisher = Start(_logging, output,
            "--mount", "live", "--relay", relay.Address, "--transport", "tcp", "--listen-source", $"127.0.0.1:{port}");
        await Wait.UntilAsync(() => _logging.Lines.Any(l => l.Contains("Waiting for an Icecast source client")), TimeSpan.FromSeconds(10), "the source port");

        // PUT with Expect: 100-continue, ffmpeg's default. Without -content_type, ffmpeg says audio/mpeg whatever the codec.
        string[] type = contentType.Length > 0 ? ["-content_type", contentType] : [];
        using (var ffmpeg = new ChildProcess("ffmpeg", ExternalTools.Require("ffmpeg"),
            ["-nostdin", "-hide_banner", "-loglevel", "warning", "-re", "-i", Repo.Fixture(fixture), "-t", $"{Seconds}", "-c", "copy", "-f", format,
             .. type, $"icecast://source:hackme@127.0.0.1:{port}/live"]))
        {
            Assert.True(0 == await ffmpeg.WaitForExitAsync(TimeSpan.FromSeconds(30)), ffmpeg.Output);
        }
        await Wait.UntilAsync(() => _logging.Lines.Any(l => l.Contains("is gone after")), TimeSpan.FromSeconds(10), "ffmpeg's end of stream");
        int sent = int.Parse(_logging.Lines.First(l => l.Contains("is gone after")).Split("is gone after ")[1].Split(' ')[0]);
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count == sent, TimeSpan.FromSeconds(10), "every frame ffmpeg sent");
        Assert.Equal(0, await publisher.StopAsync());

        var p = expected[0].Parameters;
        Assert.InRange(sent, (int)(Seconds * p.SampleRate / p.SamplesPerFrame) - 2, expected.Count);
        var frames = Audio(relay.Tcp);
        Assert.Equal(Enumerable.Range(0, sent).Select(i => (ulong)i), frames.Select(f => f.Sequence));
        Assert.Equal(expected.Take(sent).Select(f => f.Data), frames.Select(f => Assert.Single(f.Frames)));
        if (format == "adts") Assert.Contains(_logging.Lines, l => l.Contains("declares Content-Type audio/mpeg but sends AAC"));
    }
}
