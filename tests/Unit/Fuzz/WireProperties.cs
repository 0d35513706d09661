using System.Buffers;
using CsCheck;
using Davecast.Frames;
using Davecast.Wire;

namespace Davecast.Tests.Fuzz;

/// <summary>Packets of random fields and frames, alone and as a TCP stream read in random pieces: every one comes back whole.</summary>
public sealed class WireProperties
{
    private static readonly int Iterations = PropertyRuns.Inputs;
    private static readonly PacketKey Key = new("property-key"u8);

    private sealed record Sent(PacketFields Fields, byte[] Mount, byte[] Encoder, byte[] KeyId, byte[][] Frames, byte[] Packet);

    private static readonly Gen<Sent> Packets =
        Gen.Select(Gen.Byte, Gen.ULong, Gen.ULong, Gen.Long, Gen.Byte.Array[1, 128], Gen.Byte.Array[1, 16], Gen.Byte.Array[1, 8])
            .SelectMany(t => Gen.Byte.Array[1, 64].Array[1, 8].Select(frames => Make(t, frames)));

    private static Sent Make((byte PathId, ulong Session, ulong Sequence, long Time, byte[] Mount, byte[] Encoder, byte[] KeyId) t, byte[][] frames)
    {
        var payload = new List<byte>();
        foreach (var frame in frames)
        {
            payload.Add((byte)(frame.Length >> 8));
            payload.Add((byte)frame.Length);
            payload.AddRange(frame);
        }
        var fields = new PacketFields(PacketType.Audio, t.PathId, t.Session, t.Sequence, t.Time, (byte)frames.Length);
        var packet = new byte[PacketCodec.Size(t.Mount.Length, t.Encoder.Length, t.KeyId.Length, payload.Count)];
        PacketCodec.Write(packet, fields, t.Mount, t.Encoder, t.KeyId, [.. payload], Key);
        return new Sent(fields, t.Mount, t.Encoder, t.KeyId, frames, packet);
    }

    private static void AssertSame(Sent sent, ReadOnlySpan<byte> received)
    {
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(received, out var view));
        Assert.True(Key.Verify(view));
        // Messages built only on failure: this runs for every packet of 10^5 inputs.
        var fields = new PacketFields(view.Type, view.PathId, view.Session, view.Sequence, view.TimestampMicros, (byte)view.FrameCount, view.Flags);
        if (fields != sent.Fields) Assert.Fail($"fields {fields}, expected {sent.Fields}");
        Assert.True(view.Mount.SequenceEqual(sent.Mount) && view.Encoder.SequenceEqual(sent.Encoder) && view.KeyId.SequenceEqual(sent.KeyId));
        int i = 0;
        foreach (var frame in view.Frames)
            if (!frame.SequenceEqual(sent.Frames[i++])) Assert.Fail($"frame {i - 1} differs");
        Assert.Equal(sent.Frames.Length, i);
    }

    [Fact]
    public void Every_packet_parses_back_to_its_fields_and_frames() =>
        Bounded.Run(() => Packets.Sample(sent => AssertSame(sent, sent.Packet), iter: Iterations), "the packet property");

    [Fact]
    public void A_tcp_stream_read_in_random_pieces_gives_back_every_packet_in_order() =>
        Bounded.Run(() => Gen.Select(Packets.Array[1, 4], Gen.Int[1, 600]).Sample((sent, readSize) =>
        {
            var stream = new List<byte>();
            foreach (var s in sent)
            {
                var prefix = new byte[StreamFraming.PrefixSize];
                StreamFraming.WritePrefix(prefix, s.Packet.Length);
                stream.AddRange(prefix);
                stream.AddRange(s.Packet);
            }
            var bytes = stream.ToArray();
            int received = 0, fed = 0, kept = 0;
            while (fed < bytes.Length)
            {
                fed = Math.Min(bytes.Length, fed + readSize);
                var buffer = new ReadOnlySequence<byte>(bytes, kept, fed - kept);
                while (StreamFraming.TryRead(ref buffer, out var packet, out bool corrupt))
                {
                    Assert.False(corrupt);
                    AssertSame(sent[received++], packet.ToArray());
                }
                kept = fed - (int)buffer.Length;
            }
            Assert.Equal(sent.Length, received);
        }, iter: Iterations / 10), "the TCP stream property");

    [Fact]
    public void Control_payloads_decode_to_what_was_encoded() =>
        Bounded.Run(() => Gen.Select(Gen.Int[8000, 96000], Gen.Byte, Gen.String[Gen.Char.AlphaNumeric, 1, 20].Array[0, 6], Gen.ULong, Gen.String)
            .Sample((rate, priority, words, from, title) =>
            {
                var parameters = new CodecParameters(CodecKind.Aac, rate, 2, 0, 2, 4, 1024);
                var headers = words.Select((w, i) => new KeyValuePair<string, string>($"icy-{i}", w)).ToList();
                Assert.True(Announce.TryDecode(new Announce(parameters, priority, headers).Encode(), out var announce));
                Assert.Equal(parameters, announce!.Parameters);
                Assert.Equal(priority, announce.Priority);
                Assert.Equal(headers, announce.Headers);
                if (System.Text.Encoding.UTF8.GetByteCount(title) > 4096) return;
                Assert.True(TitleUpdate.TryDecode(new TitleUpdate(from, title).Encode(), out var update));
                Assert.Equal(from, update!.FromSequence);
                Assert.Equal(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(title)), update.Title);
            }, iter: Iterations / 10), "the control payload property");
}
