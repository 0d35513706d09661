using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Davecast.Frames;
using Davecast.Silo.Operations;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>
/// Promise 5 under attack: while a mount plays, packets with unknown keys, packets with forged tags and replays of
/// captured authentic packets hit the relay at ten times the mount's packet rate. The listener hears every frame,
/// and the relay's rejected-packet counters (from /metrics) equal what was sent, reason by reason.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ForgeryTests(ITestOutputHelper output)
{
    private const string Mount = "forged.aac";

    [Fact]
    public async Task Forged_and_replayed_packets_at_ten_times_the_packet_rate_are_counted_and_the_listener_hears_every_frame()
    {
        await using var d = new Deployment();
        try
        {
            var starting = d.StartRelayAsync("relay-a");
            var edge = await d.StartEdgeAsync();
            var relay = await starting;
            await using var proxy = new PathProxy("to-relay-a", relay.IngestPort) { CaptureLimit = 5000 };
            d.StartPublisherTo("studio", Mount, Repo.Fixture("programme.aac"), priority: 100, [proxy.Port]);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(60));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            await Wait.UntilAsync(() => proxy.Captured.Count > 100, TimeSpan.FromSeconds(20), "100 authentic packets captured");

            var captured = proxy.Captured;
            Assert.True(captured.Count > 100, $"only {captured.Count} authentic packets captured");
            var metrics = $"http://127.0.0.1:{relay.DashboardPort}/metrics";
            var before = await PrometheusText.ScrapeAsync(metrics);

            // The mount sends one audio packet per frame (44 frames/s) per path; ten times that, for 6 s.
            var frames = FrameFile.ReadAll(Repo.Fixture("programme.aac"));
            double packetRate = frames[0].Parameters.SampleRate / (double)frames[0].Parameters.SamplesPerFrame;
            int perSecond = (int)Math.Ceiling(packetRate * 10);
            var sent = new Dictionary<RejectReason, long> { [RejectReason.UnknownKey] = 0, [RejectReason.BadTag] = 0, [RejectReason.Replay] = 0 };
            var buffer = new byte[Protocol.MaxPacketSize];
            var unknownKey = new PacketBuilder(Mount, "intruder", "no-such-key", RandomNumberGenerator.GetBytes(32), 1);
            var wrongSecret = new PacketBuilder(Mount, "studio", d.KeyId, Encoding.UTF8.GetBytes("not-the-secret"), (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
            using var udp = new UdpClient();
            udp.Connect("127.0.0.1", relay.IngestPort);
            var clock = Stopwatch.StartNew();
            long n = 0, copiedFrames = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(6))
            {
                var frame = frames[(int)(n % frames.Count)].Data;
                var kind = (n % 3) switch { 0 => RejectReason.UnknownKey, 1 => RejectReason.BadTag, _ => RejectReason.Replay };
                int length = kind switch
                {
                    RejectReason.UnknownKey => unknownKey.Audio(buffer, 0, (ulong)n, 0, [frame]),
                    RejectReason.BadTag => wrongSecret.Audio(buffer, 0, (ulong)n, 0, [frame]),
                    _ => Copy(captured[(int)(n / 3 % captured.Count)], buffer),
                };
                await udp.SendAsync(buffer.AsMemory(0, length));
                // A replayed audio packet carries frames the relay kept already: it is dropped as a copy before its
                // tag or the replay guard is looked at (docs/protocol.md), and counted with the duplicates.
                if (kind == RejectReason.Replay && AudioFrames(buffer.AsSpan(0, length)) is > 0 and var replayedFrames)
                {
                    copiedFrames += replayedFrames;
                    n++;
                    continue;
                }
                sent[kind]++;
                n++;
                // Paced in steps of 10 ms: the flood's rate (ten times the mount's) is what is under test.
                long due = n * 1000 / perSecond;
                if (due > clock.ElapsedMilliseconds + 10) await Task.Delay(TimeSpan.FromMilliseconds(due - clock.ElapsedMilliseconds));
            }
            output.WriteLine($"sent {n} packets in {clock.Elapsed.TotalSeconds:F1} s ({n / clock.Elapsed.TotalSeconds:F0}/s; the mount's rate is {packetRate:F1}/s per path): "
                + string.Join(", ", sent.Select(kv => $"{kv.Key} {kv.Value}")) + $", replayed audio frames {copiedFrames}");

            // Exact counts are asserted below: wait until the relay has counted at least every packet sent.
            await Wait.UntilAsync(async () =>
            {
                var now = await PrometheusText.ScrapeAsync(metrics);
                return sent.All(kv => Rejected(now, kv.Key) - Rejected(before, kv.Key) >= kv.Value)
                    && Duplicates(now) - Duplicates(before) >= copiedFrames;
            }, TimeSpan.FromSeconds(20), "the relay's count of every forged packet");
            Assert.True(sent[RejectReason.Replay] > 0 && copiedFrames > 0, $"replayed: {sent[RejectReason.Replay]} control packets, {copiedFrames} audio frames");
            var after = await PrometheusText.ScrapeAsync(metrics);
            foreach (var (reason, count) in sent)
            {
                double counted = Rejected(after, reason) - Rejected(before, reason);
                output.WriteLine($"{reason}: sent {count}, relay counted {counted}");
                Assert.Equal(count, (long)counted);
            }

            var continuity = FrameContinuity.ForFile(Repo.Fixture("programme.aac"));
            await Wait.UntilAsync(() => listener.Ended || continuity.Check(listener.Audio()).Frames > 400, TimeSpan.FromSeconds(20), "400 frames at the listener");
            continuity.AssertPerfect(listener.Audio(), output, "listener", moreThan: 400);
            Assert.DoesNotContain(d.Key, d.Logs(400));
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
    }

    private static double Rejected(PrometheusText metrics, RejectReason reason) =>
        metrics.Sum("davecast_relay_packets_rejected_total", ("reason", RelayMetrics.SnakeCase(reason.ToString())));

    private static double Duplicates(PrometheusText metrics) => metrics.Sum("davecast_relay_duplicates_total");

    /// <summary>Frames an audio packet carries; 0 for any other packet. Parsed outside the async test: the view is a ref struct.</summary>
    private static int AudioFrames(ReadOnlySpan<byte> packet) =>
        PacketCodec.TryParse(packet, out var view) == RejectReason.None && view.Type == PacketType.Audio ? view.FrameCount : 0;

    private static int Copy(byte[] packet, byte[] buffer)
    {
        packet.CopyTo(buffer, 0);
        return packet.Length;
    }
}
