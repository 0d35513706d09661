using System.Text;
using Davecast.Frames;
using Davecast.Wire;

namespace Davecast.Fuzz;

/// <summary>
/// Input: one datagram. A packet that parses is signed again with the fuzzer's key (so that tag checks pass and the
/// code behind them runs) and its payload decoded as its type says.
/// </summary>
public static class PacketTarget
{
    private static readonly PacketKey Key = new("fuzz-key"u8);

    public static void Run(ReadOnlySpan<byte> input) => ParseAndDecode(input.ToArray());

    // Every payload decoder, as the relay (audio, control) and the publisher (Refused) use them.
    public static void ParseAndDecode(byte[] packet)
    {
        if (PacketCodec.TryParse(packet, out var view) != RejectReason.None) return;
        FuzzFinding.Unless(view.Signed.Length + Protocol.TagSize == packet.Length, "a parsed packet's signed part and tag do not cover it");
        Key.Sign(packet, view.Signed.Length);
        PacketCodec.TryParse(packet, out view);
        FuzzFinding.Unless(Key.Verify(view), "a packet just signed does not verify");
        switch (view.Type)
        {
            case PacketType.Audio:
                int frames = 0;
                foreach (var frame in view.Frames)
                {
                    FuzzFinding.Unless(!frame.IsEmpty, "an audio packet gave an empty frame");
                    frames++;
                }
                FuzzFinding.Unless(frames == view.FrameCount, $"an audio packet of {view.FrameCount} frames gave {frames}");
                break;
            case PacketType.Announce:
                if (Announce.TryDecode(view.Payload, out var announce))
                    FuzzFinding.Unless(announce!.Parameters.Codec is CodecKind.Aac or CodecKind.Mpeg, "an Announce decoded without a codec");
                break;
            case PacketType.Metadata:
                TitleUpdate.TryDecode(view.Payload, out _);
                break;
            case PacketType.Heartbeat:
                FuzzFinding.Unless(Heartbeat.TryRead(view.Payload, out _) == (view.Payload.Length == Heartbeat.PayloadSize), "a Heartbeat's payload size check disagrees");
                break;
            case PacketType.Refused:
                bool read = Refusal.TryRead(packet, view.Mount, view.Encoder, view.KeyId, view.Session, Key, out var reason);
                FuzzFinding.Unless(read == (view.Payload.Length <= Refusal.MaxReasonBytes), "a signed Refused packet for this session was not read");
                FuzzFinding.Unless(!reason.Any(char.IsControl), "a refusal's reason kept a control character");
                break;
        }
    }

    public static IEnumerable<(string, byte[])> Seeds()
    {
        var builder = new PacketBuilder("seed.mp3", "enc-a", "dev", Key, 42);
        var buffer = new byte[Protocol.MaxPacketSize];
        var mp3 = File.ReadAllBytes(Davecast.Tests.Support.Repo.Fixture("programme.mp3"));
        byte[] Take(int n) => buffer.AsSpan(0, n).ToArray();
        yield return ("audio", Take(builder.Audio(buffer, 1, 7, 1_000_000, [mp3.AsMemory(0, 417), mp3.AsMemory(417, 418)])));
        yield return ("heartbeat", Take(builder.Heartbeat(buffer, 0, 3, 2_000_000, 9)));
        var parameters = new CodecParameters(CodecKind.Mpeg, 44100, 2, 128, 3, 10, 1152);
        var announce = new Announce(parameters, 200, [new("icy-name", "Seed"), new("icy-genre", "Jazz")]).Encode();
        yield return ("announce", Take(builder.Control(buffer, PacketType.Announce, 0, 4, 3_000_000, announce)));
        yield return ("metadata", Take(builder.Control(buffer, PacketType.Metadata, 0, 5, 4_000_000, new TitleUpdate(7, "Artist - Song").Encode())));
        yield return ("refused", Take(builder.Control(buffer, PacketType.Refused, 0, 6, 5_000_000, Encoding.UTF8.GetBytes("mount is full"))));
    }
}
