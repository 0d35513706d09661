using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Davecast.Tests.Support;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>
/// Real processes: while a mount plays, its relay is flooded past every ingest cap. TCP connections from other
/// loopback addresses, beyond the per-address and total caps, are closed at once; those it took, silent, are closed
/// at the authentication timeout. One connection with the publishers' valid key then sends heartbeats for 10 000 new
/// encoder ids of one mount and 10 000 new mounts, and one with a second key 10 000 more mounts, past the relay's own cap.
/// Each refusal is counted by reason, the relay keeps no more than the caps allow and its memory stays put, a refused
/// encoder hears why, and the listener hears every frame.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IngestCapsProcessTests(ITestOutputHelper output)
{
    private const string Mount = "capped.aac";
    private const int MaxConnections = 40, PerAddress = 10, MountsPerKey = 20, MaxMounts = 30, EncodersPerMount = 4, Flood = 10_000;
    private const string OtherKeyId = "other";

    [Fact]
    public async Task A_flood_past_every_ingest_cap_is_refused_and_counted_while_the_mount_plays_every_frame()
    {
        await using var d = new Deployment();
        var otherKey = "other-" + Guid.NewGuid().ToString("N");
        var sockets = new List<Socket>();
        try
        {
            var starting = d.StartRelayAsync("relay-caps",
                "--ingest-max-connections", $"{MaxConnections}", "--ingest-max-connections-per-address", $"{PerAddress}", "--ingest-auth-timeout", "1",
                "--max-mounts-per-key", $"{MountsPerKey}", "--max-encoders-per-mount", $"{EncodersPerMount}", "--max-mounts", $"{MaxMounts}",
                "--key", $"{d.KeyId}={d.Key}", "--key", $"{OtherKeyId}={otherKey}");
            var edge = await d.StartEdgeAsync();
            var relay = await starting;
            d.StartPublisher("studio", Mount, Repo.Fixture("programme.aac"), priority: 100);
            await Wait.ForMountAsync(edge.Url(Mount), TimeSpan.FromSeconds(30));
            await using var listener = await IcyClient.ConnectAsync(edge.Port, Mount, icyMetadata: false);
            var metrics = $"http://127.0.0.1:{relay.DashboardPort}/metrics";
            // The publisher's own TCP connection is open (it sends over UDP and TCP).
            await Wait.UntilAsync(async () => (await PrometheusText.ScrapeAsync(metrics)).Sum("davecast_relay_ingest_connections") == 1,
                TimeSpan.FromSeconds(10), "the publisher's TCP connection");
            var before = await PrometheusText.ScrapeAsync(metrics);
            long rssBefore = Rss(relay.Process.Pid);

            // 25 connections from one address, 10 each from six more: 10 + 29 taken (the publisher holds the 40th place).
            int attempts = 0;
            foreach (var (address, count) in new[] { ("127.0.0.2", 25) }.Concat(Enumerable.Range(3, 6).Select(i => ($"127.0.0.{i}", 10))))
                for (int i = 0; i < count; i++, attempts++)
                    if (await ConnectAsync(address, relay.IngestPort) is { } s) sockets.Add(s);
            int taken = MaxConnections - 1;
            var expected = new Dictionary<string, double> { ["address_limit"] = 25 - PerAddress, ["total_limit"] = attempts - (25 - PerAddress) - taken };
            await Wait.UntilAsync(async () => Refused(await PrometheusText.ScrapeAsync(metrics), before, "total_limit") >= expected["total_limit"],
                TimeSpan.FromSeconds(10), "the connections beyond the caps counted");
            var full = await PrometheusText.ScrapeAsync(metrics);
            Assert.Equal(MaxConnections, full.Sum("davecast_relay_ingest_connections"));
            foreach (var (reason, count) in expected) Assert.Equal(count, Refused(full, before, reason));

            // Silent, the ones taken are closed at the authentication timeout; the publisher's stays.
            await Wait.UntilAsync(async () => (await PrometheusText.ScrapeAsync(metrics)).Sum("davecast_relay_ingest_connections") == 1,
                TimeSpan.FromSeconds(10), "the silent connections closed");
            Assert.Equal(taken, Refused(await PrometheusText.ScrapeAsync(metrics), before, "no_valid_packet"));

            // A key holder's bug, over one TCP connection (lossless and in order, so counts are exact): heartbeats for new
            // encoder ids of one mount and for new mounts, in turn; then the second key's new mounts, which fill the relay.
            using var flooder = (await ConnectAsync("127.0.0.9", relay.IngestPort))!;
            var reasons = ReadRefusalsAsync(flooder, new() { [d.KeyId] = d.Key, [OtherKeyId] = otherKey });
            using var key = new PacketKey(System.Text.Encoding.UTF8.GetBytes(d.Key));
            using var other = new PacketKey(System.Text.Encoding.UTF8.GetBytes(otherKey));
            ulong session = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
            var buffer = new byte[Protocol.MaxPacketSize + StreamFraming.PrefixSize];
            using (var stream = new NetworkStream(flooder, ownsSocket: false))
            using (var writer = new BufferedStream(stream, 64 * 1024))
            {
                for (int i = 0; i < Flood; i++)
                {
                    Write(writer, buffer, new PacketBuilder("flood.aac", $"encoder-{i}", d.KeyId, key, session));
                    Write(writer, buffer, new PacketBuilder($"flood-{i}.aac", "encoder", d.KeyId, key, session));
                }
                for (int i = 0; i < Flood; i++) Write(writer, buffer, new PacketBuilder($"other-{i}.aac", "encoder", OtherKeyId, other, session));
            }
            // The first key's mounts: capped.aac, flood.aac, then new ones up to its cap. The encoders: up to flood.aac's cap.
            // The second key's: new ones up to the relay's cap, below its own.
            var rejected = new Dictionary<RejectReason, double>
            {
                [RejectReason.EncoderLimit] = Flood - EncodersPerMount,
                [RejectReason.KeyMountLimit] = Flood - (MountsPerKey - 2),
                [RejectReason.RelayMountLimit] = Flood - (MaxMounts - MountsPerKey),
            };
            await Wait.UntilAsync(async () =>
            {
                var now = await PrometheusText.ScrapeAsync(metrics);
                return rejected.All(r => Rejected(now, before, r.Key) >= r.Value);
            }, TimeSpan.FromSeconds(15), "every flood packet counted");
            var after = await PrometheusText.ScrapeAsync(metrics);
            foreach (var (reason, count) in rejected) Assert.Equal(count, Rejected(after, before, reason));
            Assert.Equal(MaxMounts, after.Sum("davecast_relay_mounts"));

            // The flooder hears why (as a publisher logs it), for every cap.
            var heard = await reasons;
            output.WriteLine($"refusals heard: {heard.Count}; e.g. '{heard.FirstOrDefault(r => r.Contains("--max-encoders-per-mount"))}', '{heard.FirstOrDefault(r => r.Contains("--max-mounts-per-key"))}'");
            Assert.Contains(heard, r => r == $"mount /flood.aac already has {EncodersPerMount} encoders on relay relay-caps (its --max-encoders-per-mount); a new encoder is refused until one has been silent for 120 s");
            Assert.Contains(heard, r => r == $"key '{d.KeyId}' already feeds {MountsPerKey} mounts on relay relay-caps (its --max-mounts-per-key); a new mount is refused until one of them stops");
            Assert.Contains(heard, r => r == $"relay relay-caps already holds {MaxMounts} mounts (its --max-mounts); a new mount is refused until one stops");

            // Memory, generously: 30 000 new encoder sessions kept would hold tens of MB; refused, they cost none.
            long rssAfter = Rss(relay.Process.Pid);
            output.WriteLine($"relay RSS before the floods {rssBefore / 1024} MiB, after {rssAfter / 1024} MiB");
            Assert.True(rssAfter - rssBefore < 48 * 1024, $"relay RSS grew from {rssBefore / 1024} MiB to {rssAfter / 1024} MiB");

            // Logged once per reason per interval, not per connection or packet.
            var relayLog = relay.Process.Output.Split('\n');
            output.WriteLine(string.Join('\n', relayLog.Where(l => l.Contains("Ingest port") || l.Contains("Refused a packet") || l.Contains("that it is refused"))));
            Assert.InRange(relayLog.Count(l => l.Contains("Ingest port (--ingest-port): closed")), 1, 3);
            Assert.InRange(relayLog.Count(l => l.Contains("Refused a packet of encoder")), 1, 2);
            Assert.DoesNotContain(relayLog, l => l.Contains("Publisher connected over TCP from 127.0.0.2"));

            FrameContinuity.ForFile(Repo.Fixture("programme.aac")).AssertPerfect(listener.Audio(), output, "listener", moreThan: 200);
        }
        catch
        {
            output.WriteLine(d.Logs());
            throw;
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
    }

    // A connection from a loopback address of its own; null when the relay reset it before the connect completed here.
    private static async Task<Socket?> ConnectAsync(string from, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            socket.Dispose();
            return null;
        }
    }

    private static void Write(Stream to, byte[] buffer, PacketBuilder builder)
    {
        int n = builder.Heartbeat(buffer.AsSpan(StreamFraming.PrefixSize), 0, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000, 0);
        StreamFraming.WritePrefix(buffer, n);
        to.Write(buffer, 0, StreamFraming.PrefixSize + n);
    }

    // The reasons of the Refused packets the relay sends back on the connection, read until it goes quiet for a second.
    private static async Task<List<string>> ReadRefusalsAsync(Socket socket, Dictionary<string, string> secrets)
    {
        var reasons = new List<string>();
        var keys = secrets.ToDictionary(s => s.Key, s => new PacketKey(System.Text.Encoding.UTF8.GetBytes(s.Value)));
        try
        {
            var buffer = new byte[1 << 20];
            int length = 0;
            using var stream = new NetworkStream(socket, ownsSocket: false);
            while (true)
            {
                using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(reasons.Count == 0 ? 15 : 1));
                int n;
                try
                {
                    n = await stream.ReadAsync(buffer.AsMemory(length), quiet.Token);
                }
                catch (OperationCanceledException)
                {
                    return reasons;
                }
                if (n == 0) return reasons;
                length += n;
                int at = 0;
                while (length - at >= StreamFraming.PrefixSize && StreamFraming.TryReadLength(buffer.AsSpan(at), out int size)
                    && length - at >= StreamFraming.PrefixSize + size)
                {
                    if (ReasonOf(buffer.AsSpan(at + StreamFraming.PrefixSize, size), keys) is { } reason) reasons.Add(reason);
                    at += StreamFraming.PrefixSize + size;
                }
                buffer.AsSpan(at, length - at).CopyTo(buffer);
                length -= at;
            }
        }
        finally
        {
            foreach (var k in keys.Values) k.Dispose();
        }
    }

    private static string? ReasonOf(ReadOnlySpan<byte> packet, Dictionary<string, PacketKey> keys)
    {
        if (PacketCodec.TryParse(packet, out var view) != RejectReason.None) return null;
        if (!keys.TryGetValue(System.Text.Encoding.UTF8.GetString(view.KeyId), out var key)) return null;
        return Refusal.TryRead(packet, view.Mount, view.Encoder, view.KeyId, view.Session, key, out var reason) ? reason : null;
    }

    private static double Refused(PrometheusText now, PrometheusText before, string reason) =>
        now.Sum("davecast_relay_ingest_connections_refused_total", ("reason", reason)) - before.Sum("davecast_relay_ingest_connections_refused_total", ("reason", reason));

    private static double Rejected(PrometheusText now, PrometheusText before, RejectReason reason)
    {
        var label = ("reason", Davecast.Silo.Operations.RelayMetrics.SnakeCase(reason.ToString()));
        return now.Sum("davecast_relay_packets_rejected_total", label) - before.Sum("davecast_relay_packets_rejected_total", label);
    }

    // Resident memory of a process, in KiB.
    private static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
