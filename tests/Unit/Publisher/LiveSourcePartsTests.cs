using System.Text;
using Davecast.Frames;
using Davecast.Publisher;
using Davecast.Publisher.Sources;
using Davecast.Tests.Support;

namespace Davecast.Tests.Publisher;

/// <summary>The pure parts of the live sources: backoff, station headers, titles at frames, chunked bodies, Shoutcast status lines.</summary>
public sealed class LiveSourcePartsTests
{
    private static readonly IReadOnlyList<ParsedFrame> Frames = FrameFile.ReadAll(Repo.Fixture("programme.aac")).Take(20).ToList();

    [Fact]
    public void Backoff_starts_at_half_a_second_and_doubles_up_to_the_longest_wait()
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { 0.5, 1, 2, 4, 8, 10, 10 }, Enumerable.Range(0, 7).Select(_ => backoff.Next().TotalSeconds));
        backoff.Reset();
        Assert.Equal(0.5, backoff.Next().TotalSeconds);
        Assert.Equal(0.2, new Backoff(TimeSpan.FromSeconds(0.2)).Next().TotalSeconds);
    }

    [Fact]
    public void Station_headers_take_ice_names_prefer_icy_ones_and_are_cleaned()
    {
        var station = StationInfo.FromHeaders(
        [
            new("Server", "Icecast 2.4.4"), new("ice-name", "Ice Name"), new("ICY-NAME", "Icy Name"), new("ice-genre", "Jazz\r\n"),
            new("ice-bitrate", "128"), new("ice-public", "true"), new("ice-description", new string('é', 600)), new("icy-url", "  "),
        ]);
        Assert.Equal(["icy-name", "icy-genre", "icy-description", "icy-br", "icy-pub"], station.Select(h => h.Key));
        Assert.Equal("Icy Name", station[0].Value);
        Assert.Equal("Jazz", station[1].Value);
        Assert.Equal(StationInfo.MaxValueBytes, Encoding.UTF8.GetByteCount(station[2].Value));
        Assert.Equal(("128", "1"), (station[3].Value, station[4].Value));
    }

    [Fact]
    public void The_command_line_overrides_the_source_headers_and_icy_pub_defaults_to_0()
    {
        KeyValuePair<string, string>[] source = [new("icy-name", "Upstream"), new("icy-genre", "Jazz")];
        Assert.Equal(
            [new("icy-name", "Upstream"), new("icy-genre", "Rock"), new("icy-url", "http://x"), new("icy-pub", "0")],
            StationInfo.Merge(source, [new("icy-genre", "Rock"), new("icy-url", "http://x")]).ToArray());
        Assert.Equal([new("icy-pub", "1")], StationInfo.Merge([], [new("icy-pub", "1")]).ToArray());
        Assert.Equal([new("icy-pub", "1")], StationInfo.Merge([new("icy-pub", "1")], []).ToArray());
    }

    [Fact]
    public void A_title_takes_effect_at_the_first_frame_that_starts_at_or_after_its_position()
    {
        int at3 = Frames.Take(3).Sum(f => f.Data.Length);
        var audio = new ConnectionAudio(CodecKind.Unknown);
        audio.AddTitle(0, "At the start");
        audio.AddTitle(at3, "Exactly at frame 3");
        audio.AddTitle(at3 + 1, "Inside frame 3");
        audio.AddTitle(at3 + 2, "Later inside frame 3, so this one");
        audio.AddTitle(at3 + Frames[3].Data.Length + Frames[4].Data.Length, "At frame 5 again");
        audio.AddTitle(at3 + Frames[3].Data.Length + Frames[4].Data.Length + 1, "At frame 5 again");
        audio.AddTitle(long.MaxValue, "Never reached");
        var titles = ReadAll(audio, Frames.SelectMany(f => f.Data).ToArray(), piece: 50);
        Assert.Equal(new string?[] { "At the start", null, null, "Exactly at frame 3", "Later inside frame 3, so this one", "At frame 5 again" },
            titles.Take(6));
        Assert.All(titles.Skip(6), t => Assert.Null(t));

        // The next connection: the title not reached applies at its first frame; the same again is not passed on.
        var next = new ConnectionAudio(CodecKind.Unknown, audio);
        next.AddTitle(Frames[0].Data.Length, "Never reached");
        Assert.Equal(new string?[] { "Never reached", null }, ReadAll(next, Frames.Take(2).SelectMany(f => f.Data).ToArray(), piece: 1000));
    }

    [Fact]
    public void A_connection_without_frames_is_not_audio()
    {
        var audio = new ConnectionAudio(CodecKind.Unknown);
        var frame = new SourceFrame();
        var junk = new byte[100_000];
        for (int i = 0; i < 3; i++)
        {
            audio.Append(junk);
            Assert.False(audio.TryReadFrame(frame, final: false));
        }
        Assert.True(audio.IsNotAudio);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void A_chunked_body_is_decoded_in_place_whatever_the_pieces(int piece)
    {
        var body = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var coded = new MemoryStream();
        coded.Write("0a;name=value\r\n"u8);
        coded.Write(body, 0, 10);
        coded.Write("\r\n"u8);
        coded.Write(Encoding.ASCII.GetBytes($"{body.Length - 10:X}\n"));
        coded.Write(body, 10, body.Length - 10);
        coded.Write("\r\n0\r\nTrailer: x\r\n\r\nafter the end"u8);
        var input = coded.ToArray();

        var decoder = new ChunkedDecoder();
        var decoded = new List<byte>();
        for (int at = 0; at < input.Length; at += piece)
        {
            var part = input.AsSpan(at, Math.Min(piece, input.Length - at)).ToArray();
            decoded.AddRange(part.Take(decoder.Decode(part)));
        }
        Assert.True(decoder.IsDone);
        Assert.Equal(body, decoded);
        Assert.Throws<InvalidDataException>(() => new ChunkedDecoder().Decode("zz\r\n"u8.ToArray()));
        Assert.Throws<InvalidDataException>(() => new ChunkedDecoder().Decode("2\r\nabc\r\n"u8.ToArray()));
    }

    [Theory]
    [InlineData("ICY 200 OK\r\nicy-name: x\r\n\r\n", "HTTP/1.0 200 OK\r\nicy-name: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\n")]
    [InlineData("IC", "IC")]
    public async Task A_shoutcast_status_line_reads_as_http(string sent, string read)
    {
        await using var stream = new IcyStatusLineStream(new MemoryStream(Encoding.ASCII.GetBytes(sent)));
        var received = new MemoryStream();
        var buffer = new byte[3];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0) received.Write(buffer, 0, n);
        Assert.Equal(read, Encoding.ASCII.GetString(received.ToArray()));
    }

    // The title each frame carries, feeding the audio in pieces and reading frames as they come.
    private static List<string?> ReadAll(ConnectionAudio audio, byte[] data, int piece)
    {
        var titles = new List<string?>();
        var frame = new SourceFrame();
        for (int at = 0; at < data.Length; at += piece)
        {
            audio.Append(data.AsSpan(at, Math.Min(piece, data.Length - at)));
            while (audio.TryReadFrame(frame, final: false)) titles.Add(frame.Title);
        }
        while (audio.TryReadFrame(frame, final: true)) titles.Add(frame.Title);
        return titles;
    }
}
