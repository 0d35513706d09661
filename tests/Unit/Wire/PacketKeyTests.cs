using System.Security.Cryptography;
using System.Text;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

public sealed class PacketKeyTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("packet-key-test-secret");

    // The reference: .NET's one-shot HMAC-SHA256, truncated to the tag size.
    private static int OneShot(Span<byte> packet, int signedLength)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(Secret, packet[..signedLength], mac);
        mac[..Protocol.TagSize].CopyTo(packet[signedLength..]);
        return signedLength + Protocol.TagSize;
    }

    private static byte[] Packet(int payloadBytes, Func<Span<byte>, int, int> sign)
    {
        var buffer = new byte[Protocol.MaxPacketSize];
        var fields = new PacketFields(PacketType.Heartbeat, 5, 77, 1234, 1_767_225_600_000_000);
        var payload = Enumerable.Range(0, payloadBytes).Select(i => (byte)i).ToArray();
        int headerEnd = PacketCodec.WriteHeader(buffer, fields, "live.aac"u8, "studio"u8, "k1"u8, payload.Length);
        payload.CopyTo(buffer.AsSpan(headerEnd));
        int length = sign(buffer, headerEnd + payload.Length);
        return buffer.AsSpan(0, length).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(1500)]
    public void Signs_as_the_one_shot_HMAC_does(int payloadBytes)
    {
        using var key = new PacketKey(Secret);
        var oneShot = Packet(payloadBytes, OneShot);
        // Twice: the second tag comes from the reused keyed state.
        Assert.Equal(oneShot, Packet(payloadBytes, key.Sign));
        Assert.Equal(oneShot, Packet(payloadBytes, key.Sign));
    }

    [Fact]
    public void Verifies_good_tags_and_refuses_bad_ones_and_other_keys()
    {
        using var key = new PacketKey(Secret);
        using var other = new PacketKey(Encoding.UTF8.GetBytes("another-secret"));
        var packet = Packet(8, key.Sign);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        Assert.True(key.Verify(view));
        Assert.False(other.Verify(view));
        Assert.True(key.Verify(view));

        packet[^1] ^= 1;
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var tampered));
        Assert.False(key.Verify(tampered));
    }

    [Fact]
    public void Threads_sharing_a_key_each_get_the_right_tags()
    {
        using var key = new PacketKey(Secret);
        var expected = Enumerable.Range(0, 32).Select(n => Packet(n * 40, OneShot)).ToArray();
        var wrong = 0;
        Parallel.For(0, 8, _ =>
        {
            for (int round = 0; round < 200; round++)
            {
                int n = round % expected.Length;
                if (!Packet(n * 40, key.Sign).AsSpan().SequenceEqual(expected[n])) Interlocked.Increment(ref wrong);
                PacketCodec.TryParse(expected[n], out var view);
                if (!key.Verify(view)) Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }
}
