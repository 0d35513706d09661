using System.Globalization;
using System.Text;
using Davecast.Frames;
using Davecast.Tests.Support;
using Davecast.Wire;

namespace Davecast.Tests.Publisher;

/// <summary>
/// The committed test vector of docs/protocol.md (tests/Publisher/protocol-vector.txt): packets built from its
/// inputs must be byte for byte the hex it holds, and must parse back to those inputs.
/// </summary>
public sealed class ProtocolVectorTests
{
    private static readonly List<KeyValuePair<string, string>> Lines = Load();
    private static readonly Dictionary<string, string> Vector = new(Lines, StringComparer.Ordinal);

    private static byte[] Key => Encoding.UTF8.GetBytes(Vector["key"]);
    private static readonly PacketKey Tags = new(Key);

    private static PacketBuilder Builder() =>
        new(Vector["mount"], Vector["encoder"], Vector["key-id"], Key, ulong.Parse(Vector["session"], CultureInfo.InvariantCulture));

    private static byte[] Frame(string name) => Convert.FromHexString(Vector[name]);

    private static Announce Announcement()
    {
        var frames = FrameFile.ReadAll([.. Frame("frame-1"), .. Frame("frame-2")]);
        Assert.Equal(2, frames.Count);
        var headers = Lines.Where(kv => kv.Key.StartsWith("icy-", StringComparison.Ordinal)).Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value));
        return new Announce(frames[0].Parameters, byte.Parse(Vector["priority"], CultureInfo.InvariantCulture), headers.ToList());
    }

    [Fact]
    public void The_audio_packet_is_built_byte_for_byte()
    {
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = Builder().Audio(buffer, Byte("audio.path-id"), Ulong("audio.sequence"), Long("audio.timestamp"), [Frame("frame-1"), Frame("frame-2")]);
        Assert.Equal(Vector["audio"], Convert.ToHexStringLower(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void The_announce_packet_is_built_byte_for_byte()
    {
        var buffer = new byte[Protocol.MaxPacketSize];
        int n = Builder().Control(buffer, PacketType.Announce, Byte("announce.path-id"), Ulong("announce.sequence"), Long("announce.timestamp"), Announcement().Encode());
        Assert.Equal(Vector["announce"], Convert.ToHexStringLower(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void The_audio_packet_parses_back_to_its_inputs()
    {
        var packet = Convert.FromHexString(Vector["audio"]);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        Assert.True(Tags.Verify(view));
        using var other = new PacketKey("not-the-key"u8);
        Assert.False(other.Verify(view));
        Assert.Equal(PacketType.Audio, view.Type);
        Assert.Equal(Byte("audio.path-id"), view.PathId);
        Assert.Equal(Ulong("session"), view.Session);
        Assert.Equal(Ulong("audio.sequence"), view.Sequence);
        Assert.Equal(Long("audio.timestamp"), view.TimestampMicros);
        Assert.Equal(MountName.Normalize(Vector["mount"]), Encoding.UTF8.GetString(view.Mount));
        Assert.Equal(Vector["encoder"], Encoding.UTF8.GetString(view.Encoder));
        Assert.Equal(Vector["key-id"], Encoding.UTF8.GetString(view.KeyId));
        var frames = new List<byte[]>();
        foreach (var f in view.Frames) frames.Add(f.ToArray());
        Assert.Equal([Frame("frame-1"), Frame("frame-2")], frames);
    }

    [Fact]
    public void The_announce_packet_parses_back_to_its_inputs()
    {
        var packet = Convert.FromHexString(Vector["announce"]);
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        Assert.True(Tags.Verify(view));
        Assert.Equal(PacketType.Announce, view.Type);
        Assert.Equal(Ulong("announce.sequence"), view.Sequence);
        Assert.Equal(Long("announce.timestamp"), view.TimestampMicros);
        Assert.True(Announce.TryDecode(view.Payload, out var announce));
        var expected = Announcement();
        Assert.Equal(expected.Parameters, announce!.Parameters);
        Assert.Equal(new CodecParameters(CodecKind.Aac, 48000, 2, 0, 2, 4, 1024), announce.Parameters);
        Assert.Equal(expected.Priority, announce.Priority);
        Assert.Equal(expected.Headers, announce.Headers);
    }

    [Fact]
    public void Every_byte_of_the_vector_is_covered_by_the_tag()
    {
        var packet = Convert.FromHexString(Vector["audio"]);
        for (int i = 0; i < packet.Length; i++)
        {
            var copy = (byte[])packet.Clone();
            copy[i] ^= 0x01;
            bool accepted = PacketCodec.TryParse(copy, out var view) == RejectReason.None && Tags.Verify(view);
            Assert.False(accepted, $"byte {i} changed was accepted");
        }
    }

    private static byte Byte(string name) => byte.Parse(Vector[name], CultureInfo.InvariantCulture);

    private static ulong Ulong(string name) => ulong.Parse(Vector[name], CultureInfo.InvariantCulture);

    private static long Long(string name) => long.Parse(Vector[name], CultureInfo.InvariantCulture);

    // "name: value" lines; '#' starts a comment line.
    private static List<KeyValuePair<string, string>> Load()
    {
        var path = Path.Combine(Repo.Root, "tests", "Publisher", "protocol-vector.txt");
        var lines = new List<KeyValuePair<string, string>>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int colon = line.IndexOf(':');
            lines.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return lines;
    }
}
