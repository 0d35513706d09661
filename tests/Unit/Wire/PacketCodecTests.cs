using System.Text;
using Davecast.Frames;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

public sealed class PacketCodecTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("secret");
    private static readonly PacketKey Tags = new(Key);

    private static byte[] Audio(params byte[][] frames)
    {
        var b = new PacketBuilder("/live.aac", "enc-1", "k1", Key, session: 77);
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = b.Audio(buffer, pathId: 5, sequence: 1000, timestampMicros: 123456789, frames.Select(f => (ReadOnlyMemory<byte>)f).ToList());
        return buffer[..n];
    }

    [Fact]
    public void Audio_packet_round_trips()
    {
        var packet = Audio([1, 2, 3], [4, 5]);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var v));
        Assert.Equal(PacketType.Audio, v.Type);
        Assert.Equal(5, v.PathId);
        Assert.Equal(77UL, v.Session);
        Assert.Equal(1000UL, v.Sequence);
        Assert.Equal(123456789L, v.TimestampMicros);
        Assert.Equal("live.aac", Encoding.UTF8.GetString(v.Mount));
        Assert.Equal("enc-1", Encoding.UTF8.GetString(v.Encoder));
        Assert.Equal("k1", Encoding.UTF8.GetString(v.KeyId));
        var frames = new List<byte[]>();
        foreach (var f in v.Frames) frames.Add(f.ToArray());
        Assert.Equal([new byte[] { 1, 2, 3 }, [4, 5]], frames);
        Assert.True(Tags.Verify(v));
        using var other = new PacketKey(Encoding.UTF8.GetBytes("other"));
        Assert.False(other.Verify(v));
    }

    [Fact]
    public void Any_flipped_bit_fails_the_tag_or_the_parse()
    {
        var packet = Audio([9, 9, 9, 9]);
        for (int i = 0; i < packet.Length * 8; i++)
        {
            var copy = (byte[])packet.Clone();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            bool accepted = PacketCodec.TryParse(copy, out var v) == RejectReason.None && Tags.Verify(v);
            Assert.False(accepted, $"bit {i} flipped was accepted");
        }
    }

    [Fact]
    public void Truncated_or_padded_packets_are_rejected()
    {
        var packet = Audio([1, 2, 3]);
        for (int n = 0; n < packet.Length; n++)
            Assert.NotEqual(RejectReason.None, PacketCodec.TryParse(packet.AsSpan(0, n), out _));
        Assert.Equal(RejectReason.BadLength, PacketCodec.TryParse([.. packet, 0], out _));
    }

    [Fact]
    public void Random_garbage_never_parses_as_signed()
    {
        var rng = new Random(3);
        for (int i = 0; i < 20000; i++)
        {
            var junk = new byte[rng.Next(0, 300)];
            rng.NextBytes(junk);
            if (junk.Length > 3 && rng.Next(2) == 0) { junk[0] = Protocol.Magic0; junk[1] = Protocol.Magic1; junk[2] = Protocol.Version; }
            if (PacketCodec.TryParse(junk, out var v) == RejectReason.None) Assert.False(Tags.Verify(v));
        }
    }

    [Fact]
    public void Announce_round_trips()
    {
        var p = new CodecParameters(CodecKind.Aac, 44100, 2, 0, 2, 4, 1024);
        var a = new Announce(p, 200, [new("icy-name", "Radio Ünïcode"), new("icy-genre", "Jazz")]);
        Assert.True(Announce.TryDecode(a.Encode(), out var back));
        Assert.Equal(p, back!.Parameters);
        Assert.Equal(200, back.Priority);
        Assert.Equal(a.Headers, back.Headers);
        Assert.False(Announce.TryDecode(a.Encode()[..^1], out _));
    }

    [Fact]
    public void Tcp_framing_splits_a_byte_stream_into_packets()
    {
        var p1 = Audio([1]);
        var p2 = Audio([2, 2]);
        var stream = new byte[4 + p1.Length + p2.Length];
        StreamFraming.WritePrefix(stream, p1.Length);
        p1.CopyTo(stream, 2);
        StreamFraming.WritePrefix(stream.AsSpan(2 + p1.Length), p2.Length);
        p2.CopyTo(stream, 4 + p1.Length);
        var seq = new System.Buffers.ReadOnlySequence<byte>(stream);
        Assert.True(StreamFraming.TryRead(ref seq, out var a, out _));
        Assert.True(StreamFraming.TryRead(ref seq, out var b, out _));
        Assert.False(StreamFraming.TryRead(ref seq, out _, out var corrupt));
        Assert.False(corrupt);
        Assert.Equal(p1, System.Buffers.BuffersExtensions.ToArray(a));
        Assert.Equal(p2, System.Buffers.BuffersExtensions.ToArray(b));
        var bad = new System.Buffers.ReadOnlySequence<byte>(new byte[] { 0, 0, 1 });
        Assert.False(StreamFraming.TryRead(ref bad, out _, out corrupt));
        Assert.True(corrupt);
    }
}
