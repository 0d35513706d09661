using System.Text;
using Davecast.Wire;

namespace Davecast.Tests.Publisher;

/// <summary>A packet as received, decoded with <see cref="PacketCodec"/> into plain values a test can keep.</summary>
internal sealed record WirePacket(byte[] Bytes, int Connection)
{
    private Decoded? _decoded;

    public Decoded Packet => _decoded ??= Decode();

    public bool VerifiesWith(string key)
    {
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(Bytes, out var view));
        using var tags = new PacketKey(Encoding.UTF8.GetBytes(key));
        return tags.Verify(view);
    }

    private Decoded Decode()
    {
        var reason = PacketCodec.TryParse(Bytes, out var view);
        Assert.True(reason == RejectReason.None, $"packet rejected: {reason}");
        var frames = new List<byte[]>();
        if (view.Type == PacketType.Audio)
            foreach (var frame in view.Frames) frames.Add(frame.ToArray());
        return new Decoded(
            view.Type,
            view.PathId,
            view.Session,
            view.Sequence,
            view.TimestampMicros,
            Encoding.UTF8.GetString(view.Mount),
            Encoding.UTF8.GetString(view.Encoder),
            Encoding.UTF8.GetString(view.KeyId),
            view.Payload.ToArray(),
            frames);
    }

    internal sealed record Decoded(
        PacketType Type,
        byte PathId,
        ulong Session,
        ulong Sequence,
        long TimestampMicros,
        string Mount,
        string Encoder,
        string KeyId,
        byte[] Payload,
        IReadOnlyList<byte[]> Frames);
}
