using System.Text;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

public sealed class RefusalTests
{
    private static readonly PacketKey Key = new("publisher-secret"u8);
    private static readonly byte[] Mount = Encoding.UTF8.GetBytes("live.aac");
    private static readonly byte[] Encoder = Encoding.UTF8.GetBytes("backup");
    private static readonly byte[] KeyId = Encoding.UTF8.GetBytes("k1");
    private const ulong Session = 1_700_000_000_000_000;

    // A heartbeat of the encoder, as a relay receives it.
    private static byte[] Heartbeat(ulong session = Session)
    {
        var builder = new PacketBuilder("/live.aac", "backup", "k1", Key, session);
        var buffer = new byte[Protocol.MaxPacketSize];
        return buffer[..builder.Heartbeat(buffer, pathId: 6, counter: 3, timestampMicros: 5, nextSequence: 10)];
    }

    // The relay's answer to it.
    private static byte[] Refused(string reason, PacketKey? key = null, ulong session = Session)
    {
        var about = Heartbeat(session);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(about, out var view));
        var buffer = new byte[Refusal.MaxSize(view)];
        return buffer[..Refusal.Write(buffer, view, counter: 9, timestampMicros: 1234, reason, key ?? Key)];
    }

    [Fact]
    public void A_refusal_answers_the_encoders_packet_and_reads_back()
    {
        var packet = Refused("codec parameters AAC (LC) 48000 Hz, 2 ch differ from mount /live.aac's AAC (LC) 44100 Hz, 2 ch");
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        Assert.Equal(PacketType.Refused, view.Type);
        Assert.Equal(6, view.PathId);
        Assert.Equal(Session, view.Session);
        Assert.Equal(9UL, view.Sequence);
        Assert.Equal(1234L, view.TimestampMicros);
        Assert.Equal(0, view.FrameCount);

        Assert.True(Refusal.TryRead(packet, Mount, Encoder, KeyId, Session, Key, out var reason));
        Assert.Contains("48000 Hz", reason);
    }

    [Fact]
    public void A_refusal_with_another_key_another_session_or_another_encoder_is_not_believed()
    {
        using var forger = new PacketKey("forger"u8);
        Assert.False(Refusal.TryRead(Refused("no", key: forger), Mount, Encoder, KeyId, Session, Key, out _));
        Assert.False(Refusal.TryRead(Refused("no", session: Session - 1), Mount, Encoder, KeyId, Session, Key, out _));
        Assert.False(Refusal.TryRead(Refused("no"), Mount, "other"u8, KeyId, Session, Key, out _));
        Assert.False(Refusal.TryRead(Refused("no"), "other.aac"u8, Encoder, KeyId, Session, Key, out _));
        // Another packet type is not a refusal, even when signed.
        Assert.False(Refusal.TryRead(Heartbeat(), Mount, Encoder, KeyId, Session, Key, out _));

        var packet = Refused("no");
        for (int i = 0; i < packet.Length; i++)
        {
            var copy = (byte[])packet.Clone();
            copy[i] ^= 0x20;
            Assert.False(Refusal.TryRead(copy, Mount, Encoder, KeyId, Session, Key, out _), $"byte {i} changed was believed");
        }
    }

    [Fact]
    public void A_long_reason_is_cut_at_a_character_boundary_and_control_characters_are_blanked()
    {
        var packet = Refused(new string('é', 2000));
        Assert.True(Refusal.TryRead(packet, Mount, Encoder, KeyId, Session, Key, out var reason));
        Assert.Equal(new string('é', Refusal.MaxReasonBytes / 2), reason);

        Assert.True(Refusal.TryRead(Refused("line\nbreak\u001b[31m"), Mount, Encoder, KeyId, Session, Key, out var clean));
        Assert.Equal("line break [31m", clean);
    }

    [Fact]
    public void Type_5_parses_and_later_types_are_rejected()
    {
        var packet = Refused("x");
        packet[3] = 6;
        Assert.Equal(RejectReason.BadType, PacketCodec.TryParse(packet, out _));
    }
}
