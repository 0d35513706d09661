using System.Text;
using Davecast.Frames;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;
using static Davecast.Tests.Publisher.RunningPublisher;

namespace Davecast.Tests.Publisher;

/// <summary>The publisher pulling a mount (--source-url) from an in-test Icecast server over real loopback sockets.</summary>
public sealed class IcecastPullTests(ITestOutputHelper output)
{
    private const int MetaInt = 8000;

    private readonly TestLogging _logging = new(output);

    [Fact]
    public async Task Frames_of_a_mount_arrive_in_order_and_each_title_applies_from_the_frame_after_its_block()
    {
        using var audio = TestAudio.Cut("programme.mp3", 4);
        var bytes = await File.ReadAllBytesAsync(audio.Path);
        // Block 3 repeats block 2's title: no new title.
        var titles = new Dictionary<int, string> { [1] = "Artist - First", [2] = "Second ‘song’", [3] = "Second ‘song’", [5] = "Third" };
        await using var upstream = FakeUpstream.Start(connection => connection == 1
            ? new("HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-metaint: 8000\r\nicy-name: Test Radio\r\nicy-genre: Jazz\r\nice-description: All day\r\nicy-br: 128\r\nicy-pub: 1\r\nServer: Icecast 2.4.4",
                FakeUpstream.WithMetadata(bytes, MetaInt, titles))
            : FakeUpstream.Answer.Status("404 Not Found"));
        await using var relay = FakeRelay.Start();

        await PullAsync(relay, audio.Frames.Count, "--mount", "pulled.mp3", "--source-url", upstream.Url("live.mp3"), "--genre", "Rock");

        // One session; the frames of the mount, in order, with nothing else.
        var frames = Audio(relay.Tcp);
        Assert.Single(frames.Select(p => p.Session).Distinct());
        Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
        Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));

        // Each title from the first frame that starts at or after its block.
        Assert.Equal(
            new[] { new TitleUpdate(FrameAt(audio, 1 * MetaInt), "Artist - First"), new(FrameAt(audio, 2 * MetaInt), "Second ‘song’"), new(FrameAt(audio, 5 * MetaInt), "Third") },
            Titles(relay.Tcp));

        // The upstream's headers, under their icy-* names, with --genre in place of its genre.
        Assert.Equal(
            [new("icy-name", "Test Radio"), new("icy-genre", "Rock"), new("icy-description", "All day"), new("icy-br", "128"), new("icy-pub", "1")],
            LastAnnounce(relay.Tcp).Headers.ToArray());
        Assert.Contains("Icy-MetaData: 1", Assert.Single(upstream.Requests.Take(1)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task After_the_upstream_drops_it_reconnects_with_backoff_and_the_frames_go_on_in_the_same_session()
    {
        using var audio = TestAudio.Cut("programme.aac", 3);
        var bytes = await File.ReadAllBytesAsync(audio.Path);
        // The first connection ends one byte short of the frame where block 1 sits: that title has no frame yet.
        int cutFrame = Enumerable.Range(0, audio.Frames.Count).First(i => AudioStart(audio, i + 1) > MetaInt);
        var first = bytes.AsSpan(0, AudioStart(audio, cutFrame + 1) - 1);
        var rest = bytes.AsSpan(AudioStart(audio, cutFrame));
        var head = "HTTP/1.0 200 OK\r\nContent-Type: audio/aac\r\nicy-metaint: 8000\r\nicy-name: Before";
        var firstBody = FakeUpstream.WithMetadata(first, MetaInt, new Dictionary<int, string> { [1] = "Carried over" });
        var restBody = FakeUpstream.WithMetadata(rest, MetaInt, new Dictionary<int, string> { [1] = "After" });
        await using var upstream = FakeUpstream.Start(connection => connection switch
        {
            1 => new(head, firstBody),
            2 or 3 => FakeUpstream.Answer.Status("503 Service Unavailable"),
            4 => new(head.Replace("Before", "After"), restBody),
            _ => FakeUpstream.Answer.Status("404 Not Found"),
        });
        await using var relay = FakeRelay.Start();

        await PullAsync(relay, audio.Frames.Count, "--mount", "again.aac", "--source-url", upstream.Url("live.aac"), "--reconnect-max", "4");

        // Every frame once, in order, in one session, stamped by its sequence: media time counts frames across the outage.
        var frames = Audio(relay.Tcp);
        long session = (long)frames[0].Session;
        Assert.All(frames, p => Assert.Equal((ulong)session, p.Session));
        Assert.Equal(Enumerable.Range(0, audio.Frames.Count).Select(i => (ulong)i), frames.Select(p => p.Sequence));
        Assert.Equal(audio.Frames.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));
        Assert.All(frames, p => Assert.Equal(session + audio.OffsetMicros(p.Sequence), p.TimestampMicros));

        // The first connection's last title takes effect at the next connection's first frame.
        var after = Enumerable.Range(cutFrame, audio.Frames.Count - cutFrame).First(i => AudioStart(audio, i) - AudioStart(audio, cutFrame) >= MetaInt);
        Assert.Equal(new[] { new TitleUpdate((ulong)cutFrame, "Carried over"), new((ulong)after, "After") }, Titles(relay.Tcp));
        // The headers of the new connection are announced from then on.
        Assert.Equal([new("icy-name", "After"), new("icy-pub", "0")], LastAnnounce(relay.Tcp).Headers.ToArray());

        // Waits of 0.5, 1 and 2 s; each failure is logged once, a repetition only at debug level.
        var outage = _logging.Lines.TakeWhile(l => !l.Contains("again after 3 failed attempt(s)")).ToList();
        Assert.NotEqual(_logging.Lines.Count, outage.Count);
        Assert.Single(outage, l => l.Contains(" Warning ") && l.Contains("ended the stream"));
        Assert.Single(outage, l => l.Contains(" Warning ") && l.Contains("503"));
        Assert.Single(outage, l => l.Contains(" Debug ") && l.Contains("503"));
    }

    [Fact]
    public async Task Two_publishers_pulling_one_upstream_send_the_same_frames_with_the_same_titles_on_the_same_frames()
    {
        using var audio = TestAudio.Cut("programme.mp3", 3);
        var body = FakeUpstream.WithMetadata(await File.ReadAllBytesAsync(audio.Path), MetaInt,
            new Dictionary<int, string> { [1] = "One", [3] = "Two", [4] = "Three" });
        await using var upstream = FakeUpstream.Start(connection => connection <= 2
            ? new("HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-metaint: 8000", body)
            : FakeUpstream.Answer.Status("404 Not Found"));
        await using var relayA = FakeRelay.Start();
        await using var relayB = FakeRelay.Start();

        await Task.WhenAll(
            PullAsync(relayA, audio.Frames.Count, "--mount", "same.mp3", "--encoder", "a", "--source-url", upstream.Url("live")),
            PullAsync(relayB, audio.Frames.Count, "--mount", "same.mp3", "--encoder", "b", "--source-url", upstream.Url("live")));

        var framesA = Audio(relayA.Tcp);
        var framesB = Audio(relayB.Tcp);
        Assert.Equal(framesA.Select(p => (p.Sequence, Assert.Single(p.Frames))), framesB.Select(p => (p.Sequence, Assert.Single(p.Frames))));
        Assert.Equal(audio.Frames.Count, framesA.Count);
        var titlesA = Titles(relayA.Tcp);
        Assert.Equal(3, titlesA.Count);
        Assert.Equal(titlesA, Titles(relayB.Tcp));
    }

    [Fact]
    public async Task A_shoutcast_icy_200_answer_and_basic_auth_from_the_url_are_understood()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        var bytes = await File.ReadAllBytesAsync(audio.Path);
        var login = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("dj:p@ss word"));
        FakeUpstream? server = null;
        await using var upstream = server = FakeUpstream.Start(connection =>
            !server!.Requests.Last().Contains($"Authorization: {login}", StringComparison.Ordinal) ? FakeUpstream.Answer.Status("401 Unauthorized")
            : connection == 1 ? new("ICY 200 OK\r\nicy-notice1: <BR>This stream requires Winamp<BR>\r\ncontent-type: audio/aacp\r\nicy-name: Old School\r\nicy-metaint: 8000", bytes)
            : FakeUpstream.Answer.Status("404 Not Found"));
        await using var relay = FakeRelay.Start();

        await PullAsync(relay, audio.Frames.Count, "--mount", "old.aac", "--source-url", $"http://dj:p%40ss%20word@127.0.0.1:{upstream.Port}/;stream.nsv");

        Assert.Equal(audio.Frames.Select(f => f.Data), Audio(relay.Tcp).Select(p => Assert.Single(p.Frames)));
        Assert.Equal([new("icy-name", "Old School"), new("icy-pub", "0")], LastAnnounce(relay.Tcp).Headers.ToArray());
        Assert.Equal(CodecKind.Aac, LastAnnounce(relay.Tcp).Parameters.Codec);
        Assert.DoesNotContain(_logging.Lines, l => l.Contains("p@ss") || l.Contains("p%40ss"));
    }

    // Runs a publisher pulling from an upstream until the relay has every frame (over TCP), then stops it.
    private async Task PullAsync(FakeRelay relay, int frames, params string[] args)
    {
        await using var publisher = Start(_logging, output, ["--relay", relay.Address, "--transport", "tcp", .. args]);
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count >= frames, TimeSpan.FromSeconds(30), $"{frames} frames at {relay.Address}");
        Assert.Equal(0, await publisher.StopAsync());
    }

    // Audio position of frame i (the end of the frames when i is their count).
    private static int AudioStart(TestAudio audio, int i) => audio.Frames.Take(i).Sum(f => f.Data.Length);

    // The sequence of the first frame that starts at or after an audio position.
    private static ulong FrameAt(TestAudio audio, int position) =>
        (ulong)Enumerable.Range(0, audio.Frames.Count).First(i => AudioStart(audio, i) >= position);
}
