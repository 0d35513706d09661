using Davecast.Frames;
using Davecast.Publisher;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>The publisher, in-process, sending a short file to a fake relay over real loopback sockets.</summary>
public sealed class PublisherStreamTests(ITestOutputHelper output)
{
    private const byte UdpPath = 0;
    private const byte TcpPath = 1;

    private readonly TestLogging _logging = new(output);

    [Fact]
    public async Task Every_frame_of_an_aac_file_arrives_on_udp_and_on_tcp_signed_and_stamped()
    {
        using var audio = TestAudio.Cut("programme.aac", 2);
        await using var relay = FakeRelay.Start();

        int code = await RunAsync(
            "--mount", "/test.aac", "--encoder", "enc-a", "--relay", relay.Address, "--file", audio.Path,
            "--priority", "7", "--name", "Test FM", "--genre", "Jazz", "--public", "--title", "Hello");
        Assert.Equal(0, code);
        await WaitForEndAsync(relay, audio.Frames.Count);

        foreach (var (packets, path) in new[] { (relay.Udp, UdpPath), (relay.Tcp, TcpPath) })
        {
            var all = packets.ToList();
            Assert.All(all, p => Assert.Equal(path, p.Packet.PathId));
            Assert.All(all, p => Assert.True(p.VerifiesWith(Protocol.DevelopmentSecret), "tag does not verify"));
            Assert.False(all[0].VerifiesWith("another key"));
            Assert.All(all, p => Assert.Equal(("test.aac", "enc-a", "dev"), (p.Packet.Mount, p.Packet.Encoder, p.Packet.KeyId)));
            ulong session = all[0].Packet.Session;
            Assert.All(all, p => Assert.Equal(session, p.Packet.Session));
            Assert.InRange((long)session, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds() * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);

            // The announce comes first, with the codec parameters of the frames.
            Assert.Equal(PacketType.Announce, all[0].Packet.Type);
            Assert.True(Announce.TryDecode(all[0].Packet.Payload, out var announce));
            Assert.Equal(audio.Parameters, announce!.Parameters);
            Assert.Equal(7, announce.Priority);
            Assert.Equal(
                [new("icy-name", "Test FM"), new("icy-genre", "Jazz"), new("icy-pub", "1")],
                announce.Headers.ToArray());

            var title = Single(all, PacketType.Metadata);
            Assert.True(TitleUpdate.TryDecode(title.Payload, out var update));
            Assert.Equal(new TitleUpdate(0, "Hello"), update);

            // Every frame, in order, one per packet, stamped at session start + the duration of the frames before it.
            var frames = Audio(packets).ToList();
            Assert.Equal(audio.Frames.Count, frames.Count);
            for (int k = 0; k < frames.Count; k++)
            {
                var p = frames[k];
                Assert.Equal((ulong)k, p.Sequence);
                Assert.Equal((long)session + audio.OffsetMicros((ulong)k), p.TimestampMicros);
                Assert.Equal(audio.Frames[k].Data, Assert.Single(p.Frames));
            }

            // Control packets count per type; the last heartbeat names the sequence after the last frame.
            AssertCounts(all, PacketType.Announce);
            AssertCounts(all, PacketType.Heartbeat);
            Assert.True(Heartbeat.TryRead(all.Last(p => p.Packet.Type == PacketType.Heartbeat).Packet.Payload, out ulong next));
            Assert.Equal((ulong)audio.Frames.Count, next);
        }
        Assert.All(relay.Udp, p => Assert.True(p.Bytes.Length <= Protocol.DefaultMaxDatagram));
        Assert.Equal(1, relay.Connections);
        Assert.False(relay.CorruptStream);
        // The closing report, logged once the source ends (the 1 s periodic line may not come in a 4 s run on a loaded machine).
        Assert.Contains(_logging.Lines, l => l.Contains($"Done: {audio.Frames.Count} frames sent") && l.Contains("tcp 127.0.0.1:") && l.Contains(", 0 dropped"));
    }

    [Fact]
    public async Task Mp3_frames_are_grouped_into_packets_no_bigger_than_max_datagram()
    {
        using var audio = TestAudio.Cut("programme.mp3", 2);
        await using var relay = FakeRelay.Start();
        const int maxDatagram = 1000;

        int code = await RunAsync(
            "--mount", "test.mp3", "--encoder", "enc-b", "--relay", relay.Address, "--file", audio.Path, "--codec", "mp3",
            "--frames-per-packet", "8", "--max-datagram", $"{maxDatagram}", "--key-id", "k2", "--key", "s3cret");
        Assert.Equal(0, code);
        await WaitForEndAsync(relay, audio.Frames.Count);

        Assert.All(relay.Udp, p => Assert.True(p.Bytes.Length <= maxDatagram, $"{p.Bytes.Length}-byte datagram"));
        foreach (var packets in new[] { relay.Udp, relay.Tcp })
        {
            Assert.All(packets, p => Assert.True(p.VerifiesWith("s3cret")));
            Assert.True(Announce.TryDecode(Single(packets, PacketType.Announce, first: true).Payload, out var announce));
            Assert.Equal(CodecKind.Mpeg, announce!.Parameters.Codec);
            Assert.Equal(audio.Parameters with { BitrateKbps = 0 }, announce.Parameters with { BitrateKbps = 0 });

            var frames = Audio(packets).ToList();
            Assert.Contains(frames, p => p.Frames.Count > 1);
            ulong session = frames[0].Session;
            ulong k = 0;
            foreach (var p in frames)
            {
                // A packet's sequence and timestamp are its first frame's.
                Assert.Equal(k, p.Sequence);
                Assert.Equal((long)session + audio.OffsetMicros(k), p.TimestampMicros);
                foreach (var f in p.Frames) Assert.Equal(audio.Frames[(int)k++].Data, f);
            }
            Assert.Equal((ulong)audio.Frames.Count, k);
        }
    }

    [Fact]
    public async Task Tcp_reconnects_after_the_relay_closes_and_frames_go_on_with_the_right_sequence()
    {
        using var audio = TestAudio.Cut("programme.aac", 1);
        await using var relay = FakeRelay.Start();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var run = RunAsync(stop.Token, "--mount", "loop.aac", "--relay", relay.Address, "--file", audio.Path, "--loop", "--transport", "tcp");
        await Wait.UntilAsync(() => Audio(relay.Tcp).Count() >= 20, TimeSpan.FromSeconds(10), "frames on the first connection");
        relay.CloseTcp();
        // The outage under test: the relay is away for half a second, and the publisher must reconnect after it.
        await Task.Delay(500);
        relay.ReopenTcp();
        await Wait.UntilAsync(
            () => Audio(relay.Tcp.Where(p => p.Connection == 2)).Any(p => p.Sequence > (ulong)audio.Frames.Count + 10),
            TimeSpan.FromSeconds(10),
            "frames of the second loop after reconnecting");
        stop.Cancel();
        Assert.Equal(0, await run);
        await WaitForEndAsync(relay, udpFrames: 0);

        Assert.True(relay.Udp.IsEmpty);
        Assert.False(relay.CorruptStream);
        var all = relay.Tcp.ToList();
        var session = all[0].Packet.Session;
        ulong last = 0;
        foreach (var connection in all.GroupBy(p => p.Connection).OrderBy(g => g.Key))
        {
            var frames = Audio(connection).ToList();
            // The new connection starts with an announce or with frames queued meanwhile, after the old one's.
            if (connection.Key > 1) Assert.True(frames[0].Sequence > last, $"sequence {frames[0].Sequence} after {last}");
            for (int i = 0; i < frames.Count; i++)
            {
                var p = frames[i];
                if (i > 0) Assert.Equal(frames[i - 1].Sequence + 1, p.Sequence);
                Assert.Equal(session, p.Session);
                // Sequence numbers and media time go on across loops of the file.
                Assert.Equal((long)session + audio.OffsetMicros(p.Sequence), p.TimestampMicros);
                Assert.Equal(audio.Frames[(int)(p.Sequence % (ulong)audio.Frames.Count)].Data, Assert.Single(p.Frames));
            }
            last = frames[^1].Sequence;
        }
        Assert.True(last > (ulong)audio.Frames.Count, "the file looped");
        Assert.Equal(2, relay.Connections);

        // Stopping sends a last heartbeat naming the frame after the last one sent.
        var heartbeat = all.Last(p => p.Packet.Type == PacketType.Heartbeat);
        Assert.Equal(2, heartbeat.Connection);
        Assert.True(Heartbeat.TryRead(heartbeat.Packet.Payload, out ulong next));
        Assert.Equal(last + 1, next);
        Assert.Contains(_logging.Lines, l => l.Contains("reconnected"));
    }

    [Fact]
    public async Task A_change_of_codec_parameters_mid_stream_is_warned_once_and_media_time_stays_exact()
    {
        // Ten frames at 44100 Hz, then ten (synthetic) ADTS frames at 48000 Hz.
        var first = FrameFile.ReadAll(Repo.Fixture("programme.aac")).Take(10).SelectMany(f => f.Data);
        var second = Enumerable.Range(0, 10).SelectMany(i => (byte[])[0xff, 0xf1, 0x4c, 0x80, 0x02, 0x1f, 0xfc, .. Enumerable.Repeat((byte)i, 9)]);
        var path = Path.Combine(Path.GetTempPath(), $"davecast-publisher-{Guid.NewGuid():N}.aac");
        await File.WriteAllBytesAsync(path, [.. first, .. second]);
        try
        {
            var expected = FrameFile.ReadAll(path);
            Assert.Equal(new[] { 44100, 48000 }, expected.Select(f => f.Parameters.SampleRate).Distinct());
            await using var relay = FakeRelay.Start();

            Assert.Equal(0, await RunAsync("--mount", "change.aac", "--relay", relay.Address, "--file", path, "--transport", "udp"));
            await WaitForEndAsync(relay, expected.Count);

            var frames = Audio(relay.Udp).ToList();
            Assert.Equal(expected.Select(f => f.Data), frames.Select(p => Assert.Single(p.Frames)));
            long session = (long)frames[0].Session, bank = 0, samples = 0;
            int rate = 0;
            for (int k = 0; k < frames.Count; k++)
            {
                var p = expected[k].Parameters;
                if (p.SampleRate != rate)
                {
                    if (rate != 0) bank += samples * 1_000_000 / rate;
                    samples = 0;
                    rate = p.SampleRate;
                }
                Assert.Equal(session + bank + samples * 1_000_000 / rate, frames[k].TimestampMicros);
                samples += p.SamplesPerFrame;
            }
            Assert.Single(_logging.Lines, l => l.Contains("but the stream was announced as"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private async Task<int> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await RunAsync(timeout.Token, args);
    }

    // The publisher has returned; its last packets may still be on their way through loopback. It closes its TCP
    // connection when done; on UDP, wait for the last heartbeat.
    private static Task WaitForEndAsync(FakeRelay relay, int udpFrames) => Wait.UntilAsync(
        () => relay.EndedConnections == relay.Connections
            && (udpFrames == 0 || relay.Udp.Any(p => p.Packet.Type == PacketType.Heartbeat && Heartbeat.TryRead(p.Packet.Payload, out var next) && next == (ulong)udpFrames)),
        TimeSpan.FromSeconds(5),
        "the end of the stream");

    private async Task<int> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        using var factory = _logging.Factory();
        var outText = new StringWriter();
        var errorText = new StringWriter();
        int code = await PublisherApp.RunAsync([.. args, "--stats-interval", "1"], factory, outText, errorText, "Development", cancellationToken);
        output.WriteLine($"exit {code}; stdout: {outText}; stderr: {errorText}");
        return code;
    }

    private static IEnumerable<WirePacket.Decoded> Audio(IEnumerable<WirePacket> packets) =>
        packets.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio);

    private static WirePacket.Decoded Single(IEnumerable<WirePacket> packets, PacketType type, bool first = false)
    {
        var matching = packets.Select(p => p.Packet).Where(p => p.Type == type).ToList();
        return first ? matching[0] : Assert.Single(matching);
    }

    // Each control type numbers its packets 0, 1, 2...
    private static void AssertCounts(IEnumerable<WirePacket> packets, PacketType type)
    {
        var counters = packets.Select(p => p.Packet).Where(p => p.Type == type).Select(p => p.Sequence).ToList();
        Assert.NotEmpty(counters);
        Assert.Equal(Enumerable.Range(0, counters.Count).Select(i => (ulong)i), counters);
    }
}
