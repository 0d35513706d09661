using System.Text;
using Davecast.Silo.Ingest;
using Davecast.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Davecast.Tests.Ingest;

/// <summary>
/// The caps on what a key holder's bug can make a relay hold: mounts per key and in all, encoders per mount,
/// remembered refusals. (TCP connections per source and in total: <c>Net.ConnectionCountsTests</c>.)
/// </summary>
public sealed class IngestCapsTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes(Protocol.DevelopmentSecret);

    [Fact]
    public void A_key_holds_at_most_its_mounts_the_rest_are_refused_with_a_reason_and_cost_nothing()
    {
        var keys = new KeyRing([new(Protocol.DevelopmentKeyId, Protocol.DevelopmentSecret), new("other", "other-secret")]);
        var relay = new AcceptingRelay(configure: o => o.MaxMountsPerKey = 3, keys: keys);
        var results = Enumerable.Range(0, 10_000).Select(i => Heartbeat(relay, $"m{i}.aac", "enc", Protocol.DevelopmentKeyId, Secret)).ToList();

        Assert.All(results.Take(3), r => Assert.Equal((RejectReason.None, null), r));
        Assert.All(results.Skip(3), r => Assert.Equal(RejectReason.KeyMountLimit, r.Reason));
        Assert.Equal(
            $"key '{Protocol.DevelopmentKeyId}' already feeds 3 mounts on relay relay-t (its --max-mounts-per-key); a new mount is refused until one of them stops",
            results[3].Refusal);
        Assert.Equal(3, relay.Table.MountCount);
        Assert.Equal(3, relay.Table.MountsOfKey(Protocol.DevelopmentKeyId));
        Assert.Equal(9_997, relay.Counters.Rejected(RejectReason.KeyMountLimit));
        // A mount it holds still takes its packets; another key has mounts of its own.
        Assert.Equal(RejectReason.None, Heartbeat(relay, "m1.aac", "enc", Protocol.DevelopmentKeyId, Secret).Reason);
        Assert.Equal(RejectReason.None, Heartbeat(relay, "m3.aac", "enc", "other", Encoding.UTF8.GetBytes("other-secret")).Reason);
        Assert.Equal(4, relay.Table.MountCount);

        // Once a mount's encoders are gone and it has been silent that long, it is forgotten, and its key may add another.
        var later = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(3);
        var m0 = relay.Table.Mounts.Single(m => m.Mount == "m0.aac");
        relay.Window.Trim(m0, later);
        Assert.True(relay.Table.ForgetIfIdle(m0, later - TimeSpan.FromMinutes(2)));
        Assert.Equal(2, relay.Table.MountsOfKey(Protocol.DevelopmentKeyId));
        Assert.Equal(RejectReason.None, Heartbeat(relay, "m9.aac", "enc", Protocol.DevelopmentKeyId, Secret).Reason);
        Assert.Equal(RejectReason.KeyMountLimit, Heartbeat(relay, "m10.aac", "enc", Protocol.DevelopmentKeyId, Secret).Reason);
    }

    [Fact]
    public void A_mount_never_forgets_while_it_has_an_encoder_or_heard_a_packet_lately()
    {
        var relay = new AcceptingRelay();
        Heartbeat(relay, "busy.aac", "enc", Protocol.DevelopmentKeyId, Secret);
        var mount = relay.Table.Mounts.Single();
        Assert.False(relay.Table.ForgetIfIdle(mount, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1)));
        relay.Window.Trim(mount, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(3));
        Assert.False(relay.Table.ForgetIfIdle(mount, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1)));
        Assert.Equal(1, relay.Table.MountCount);
    }

    [Fact]
    public void The_relay_holds_at_most_its_mounts_whatever_the_keys()
    {
        var relay = new AcceptingRelay(configure: o => o.MaxMounts = 5);
        for (int i = 0; i < 100; i++) Heartbeat(relay, $"m{i}.aac", "enc", Protocol.DevelopmentKeyId, Secret);
        Assert.Equal(5, relay.Table.MountCount);
        var refused = Heartbeat(relay, "one-more.aac", "enc", Protocol.DevelopmentKeyId, Secret);
        Assert.Equal(RejectReason.RelayMountLimit, refused.Reason);
        Assert.Contains("--max-mounts", refused.Refusal);
        Assert.Equal(96, relay.Counters.Rejected(RejectReason.RelayMountLimit));
    }

    [Fact]
    public void A_mount_holds_at_most_its_encoders_the_rest_are_refused_with_a_reason_and_a_new_session_needs_no_place()
    {
        var relay = new AcceptingRelay(configure: o => o.MaxEncodersPerMount = 4);
        var results = Enumerable.Range(0, 10_000).Select(i => Heartbeat(relay, "one.aac", $"enc-{i}", Protocol.DevelopmentKeyId, Secret)).ToList();
        Assert.All(results.Take(4), r => Assert.Equal(RejectReason.None, r.Reason));
        Assert.All(results.Skip(4), r => Assert.Equal(RejectReason.EncoderLimit, r.Reason));
        Assert.Equal(
            "mount /one.aac already has 4 encoders on relay relay-t (its --max-encoders-per-mount); a new encoder is refused until one has been silent for 120 s",
            results[4].Refusal);
        Assert.Equal(4, relay.Table.Mounts.Single().Encoders.Count);
        Assert.Equal(9_996, relay.Counters.Rejected(RejectReason.EncoderLimit));
        // A restarted encoder (a newer session) takes its own place; an older session is still a replay.
        Assert.Equal(RejectReason.None, Heartbeat(relay, "one.aac", "enc-2", Protocol.DevelopmentKeyId, Secret, session: 99).Reason);
        Assert.Equal(RejectReason.Replay, Heartbeat(relay, "one.aac", "enc-2", Protocol.DevelopmentKeyId, Secret, session: 98).Reason);
        Assert.Equal(4, relay.Table.Mounts.Single().Encoders.Count);
    }

    [Fact]
    public void An_audio_packet_beyond_a_cap_is_refused_without_a_reply_and_kept_nowhere()
    {
        var relay = new AcceptingRelay(configure: o => o.MaxEncodersPerMount = 1);
        Heartbeat(relay, "one.aac", "first", Protocol.DevelopmentKeyId, Secret);
        var frame = Davecast.Frames.FrameFile.ReadAll(Davecast.Tests.Support.Repo.Fixture("programme.aac"))[0].Data;
        var builder = new PacketBuilder("one.aac", "second", Protocol.DevelopmentKeyId, Secret, 7);
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = builder.Audio(buffer, 0, 1, 1_767_225_600_000_000, [frame]);
        var reason = relay.Acceptor.Accept(buffer.AsSpan(0, n), IngestTransport.Udp, out _, out var key, out var refusal);
        Assert.Equal(RejectReason.EncoderLimit, reason);
        // Verified (a TCP connection that brought it is authenticated), but audio is never answered: control packets are.
        Assert.NotNull(key);
        Assert.Null(refusal);
        Assert.Equal("first", relay.Table.Mounts.Single().Encoders.Keys.Single());
    }

    [Fact]
    public void Refusals_remember_a_bounded_number_of_encoder_sessions_and_every_one_is_told()
    {
        var replies = new RefusalReplies(NullLogger<RefusalReplies>.Instance);
        var route = new CountingRoute();
        var buffer = new byte[Protocol.MaxPacketSize];
        using var key = new PacketKey(Secret);
        var builderFirst = new PacketBuilder("one.aac", "enc-0", Protocol.DevelopmentKeyId, Secret, 1);
        var builderLast = new PacketBuilder("one.aac", "enc-9999", Protocol.DevelopmentKeyId, Secret, 1);
        for (int i = 0; i < 10_000; i++)
        {
            var builder = new PacketBuilder("one.aac", $"enc-{i}", Protocol.DevelopmentKeyId, Secret, 1);
            int n = builder.Heartbeat(buffer, 0, 1, 1_767_225_600_000_000, 0);
            Tell(replies, buffer.AsSpan(0, n), key, route);
        }
        // Every encoder heard once; the last ones are remembered (not told again within the interval), the first forgotten.
        Assert.Equal(10_000, route.Sent);
        Assert.Equal(RefusalReplies.MaxRemembered, replies.Remembered);
        Tell(replies, buffer.AsSpan(0, builderLast.Heartbeat(buffer, 0, 2, 1_767_225_600_000_000, 0)), key, route);
        Assert.Equal(10_000, route.Sent);
        Tell(replies, buffer.AsSpan(0, builderFirst.Heartbeat(buffer, 0, 2, 1_767_225_600_000_000, 0)), key, route);
        Assert.Equal(10_001, route.Sent);
        Assert.Equal(RefusalReplies.MaxRemembered, replies.Remembered);
    }

    private static void Tell(RefusalReplies replies, ReadOnlySpan<byte> packet, PacketKey key, ReplyRoute route)
    {
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        replies.Tell(view, key, "refused", route);
    }

    private static (RejectReason Reason, string? Refusal) Heartbeat(AcceptingRelay relay, string mount, string encoder, string keyId, byte[] secret, ulong session = 42)
    {
        var builder = new PacketBuilder(mount, encoder, keyId, secret, session);
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = builder.Heartbeat(buffer, 0, (ulong)Interlocked.Increment(ref _counter), 1_767_225_600_000_000, 0);
        var reason = relay.Acceptor.Accept(buffer.AsSpan(0, n), IngestTransport.Udp, out _, out _, out var refusal);
        return (reason, refusal);
    }

    private static long _counter;

    private sealed class CountingRoute : ReplyRoute
    {
        public int Sent { get; private set; }

        public override string? Send(ReadOnlySpan<byte> packet)
        {
            Sent++;
            return null;
        }

        public override string Describe() => "test";
    }
}
