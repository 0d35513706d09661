using System.Globalization;
using Davecast.Frames;
using Davecast.Publisher;
using Davecast.Publisher.Pacing;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>--start-at: parsing, and the stamps publishers given the same start put on their frames.</summary>
public sealed class StartAtTests(ITestOutputHelper output)
{
    private static readonly CodecParameters Aac44 = new(CodecKind.Aac, 44100, 2, 0, 2, 4, 1024);
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long NowMicros = Now.ToUnixTimeMilliseconds() * 1000;

    private readonly TestLogging _logging = new(output);

    [Theory]
    [InlineData("1772366400", 0)]
    [InlineData("1772366400.5", 500_000)]
    [InlineData("1772366400.1234567", 123_456)]
    [InlineData("1772368200.25", 1_800_250_000)]
    [InlineData("2026-03-01T12:00:00Z", 0)]
    [InlineData("2026-03-01T12:00:00.000001Z", 1)]
    [InlineData("2026-03-01T11:30:00.75Z", -1_799_250_000)]
    [InlineData("2026-03-01T13:00:00+01:00", 0)]
    [InlineData("2026-03-01 12:10:00Z", 600_000_000)]
    public void Start_times_parse_to_whole_microseconds(string text, long fromNow)
    {
        Assert.True(StartTime.TryParse(text, Now, out long micros, out var error), error);
        Assert.Equal(NowMicros + fromNow, micros);
    }

    [Theory]
    [InlineData("1772373601", "in the future")]
    [InlineData("1772359199.9", "in the past")]
    [InlineData("2026-03-01T14:00:00Z", "in the future")]
    [InlineData("2026-03-01T12:00:00", "neither")]
    [InlineData("noon", "neither")]
    [InlineData("-5", "neither")]
    [InlineData("1e9", "neither")]
    public void Bad_start_times_say_why(string text, string why)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));
        Assert.Contains(why, error);
    }

    [Fact]
    public void Frame_k_is_stamped_start_plus_k_frames_duration()
    {
        long start = NowMicros + 123_457;
        var pacer = Pacer.StartingAt(start, DateTimeOffset.UtcNow.AddSeconds(30));
        for (long k = 0; k < 10_000; k++)
        {
            var stamp = pacer.Stamp(Aac44);
            Assert.Equal((ulong)k, stamp.Sequence);
            Assert.Equal(start + k * 1024 * 1_000_000 / 44100, stamp.TimestampMicros);
        }
    }

    [Fact]
    public void A_start_that_has_passed_skips_the_frames_whose_time_is_over()
    {
        var now = DateTimeOffset.UtcNow;
        long start = now.ToUnixTimeMilliseconds() * 1000 - 10_000_000; // 10 s ago
        var pacer = Pacer.StartingAt(start, now);
        while (pacer.IsPast(Aac44)) pacer.Stamp(Aac44);

        // Every frame that ended within those 10 s was skipped; the next one is stamped where the programme is.
        long duration = 1024 * 1_000_000L / 44100;
        Assert.True(pacer.NextOffsetMicros + duration > 10_000_000, $"next frame at {pacer.NextOffsetMicros} us ends before 10 s");
        Assert.True(pacer.NextSequence >= (ulong)(10 * 44100 / 1024), $"only {pacer.NextSequence} frames skipped");
        var stamp = pacer.Stamp(Aac44);
        Assert.Equal(start + (long)stamp.Sequence * 1024 * 1_000_000 / 44100, stamp.TimestampMicros);
    }

    [Fact]
    public void A_start_still_to_come_skips_nothing()
    {
        var pacer = Pacer.StartingAt(DateTimeOffset.UtcNow.AddSeconds(5).ToUnixTimeMilliseconds() * 1000, DateTimeOffset.UtcNow);
        Assert.False(pacer.IsPast(Aac44));
    }

    [Fact]
    public async Task Two_publishers_of_one_programme_with_the_same_start_stamp_the_same_programme_position_alike()
    {
        // The AAC and MP3 fixtures are one programme (the same sweep) in two codecs with different frame lengths.
        using var aac = TestAudio.Cut("programme.aac", 3);
        using var mp3 = TestAudio.Cut("programme.mp3", 3);
        await using var relayA = FakeRelay.Start();
        await using var relayB = FakeRelay.Start();
        var startAt = DateTimeOffset.UtcNow.AddSeconds(1.5);
        long startMicros = startAt.ToUnixTimeMilliseconds() * 1000 + 321; // microseconds survive the round trip
        string start = (startMicros / 1e6).ToString("F6", CultureInfo.InvariantCulture);

        var runs = new[]
        {
            RunAsync("--mount", "prog.aac", "--encoder", "a", "--relay", relayA.Address, "--transport", "udp", "--file", aac.Path, "--start-at", start),
            RunAsync("--mount", "prog.mp3", "--encoder", "b", "--relay", relayB.Address, "--transport", "udp", "--file", mp3.Path, "--start-at", start),
        };
        var codes = await Task.WhenAll(runs);
        Assert.Equal([0, 0], codes);
        await WaitForFramesAsync(relayA, f => f.Sequence == (ulong)aac.Frames.Count - 1);
        await WaitForFramesAsync(relayB, f => f.Sequence == (ulong)mp3.Frames.Count - 1);

        // A publisher that comes up late (a busy machine) skips the frames already over, so count from the first it sent.
        foreach (var (relay, audio) in new[] { (relayA, aac), (relayB, mp3) })
        {
            var frames = Frames(relay);
            ulong first = frames[0].Sequence;
            Assert.Equal(audio.Frames.Count - (int)first, frames.Count);
            // Sent after the start, by a session that began before it: the session is still the process start.
            Assert.True((long)frames[0].Session < startMicros, "session is not the process start");
            for (int k = 0; k < frames.Count; k++)
            {
                Assert.Equal(first + (ulong)k, frames[k].Sequence);
                Assert.Equal(startMicros + audio.OffsetMicros(first + (ulong)k), frames[k].TimestampMicros);
            }
        }
        // Programme position 2 s: each stream's frame holding it is stamped start + its own exact sample offset.
        foreach (var (relay, audio) in new[] { (relayA, aac), (relayB, mp3) })
        {
            var p = audio.Parameters;
            ulong k = (ulong)(2_000_000L * p.SampleRate / p.SamplesPerFrame / 1_000_000);
            var frame = Frames(relay).Single(f => f.Sequence == k);
            Assert.InRange(frame.TimestampMicros - startMicros, 2_000_000 - p.FrameDurationMicros, 2_000_000);
        }
        Assert.Equal(2, _logging.Lines.Count(l => l.Contains("(--start-at)")));
    }

    [Fact]
    public async Task A_publisher_started_after_the_start_joins_where_the_programme_is()
    {
        using var aac = TestAudio.Cut("programme.aac", 6);
        await using var relay = FakeRelay.Start();
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long startMicros = before - 3_000_000;
        string start = (startMicros / 1e6).ToString("F6", CultureInfo.InvariantCulture);

        Assert.Equal(0, await RunAsync("--mount", "late.aac", "--relay", relay.Address, "--transport", "udp", "--file", aac.Path, "--start-at", start));
        var frames = await WaitForFramesAsync(relay, f => f.Sequence == (ulong)aac.Frames.Count - 1);

        // The frames over by more than the catch-up slack when it started are not sent. The rest are, stamped from the start.
        var first = frames[0];
        Assert.True(startMicros + aac.OffsetMicros(first.Sequence + 1) + Davecast.Publisher.Publishing.PublishSession.CatchUpSlackMicros > before,
            $"frame {first.Sequence} was over before the publisher started");
        Assert.True(first.Sequence > 0);
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i];
            Assert.Equal(first.Sequence + (ulong)i, f.Sequence);
            Assert.Equal(startMicros + aac.OffsetMicros(f.Sequence), f.TimestampMicros);
            Assert.Equal(aac.Frames[(int)f.Sequence].Data, Assert.Single(f.Frames));
        }
        Assert.Contains(_logging.Lines, l => l.Contains("Joining the programme"));
    }

    private static List<WirePacket.Decoded> Frames(FakeRelay relay) =>
        [.. relay.Udp.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio).OrderBy(p => p.Sequence)];

    private static async Task<List<WirePacket.Decoded>> WaitForFramesAsync(FakeRelay relay, Func<WirePacket.Decoded, bool> last)
    {
        await Support.Wait.UntilAsync(() => Frames(relay).Any(last), TimeSpan.FromSeconds(5), "the last frame");
        return Frames(relay);
    }

    private async Task<int> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var factory = _logging.Factory();
        var error = new StringWriter();
        int code = await PublisherApp.RunAsync([.. args, "--stats-interval", "0"], factory, new StringWriter(), error, "Development", timeout.Token);
        output.WriteLine($"exit {code}; stderr: {error}");
        return code;
    }
}
