using System.Buffers.Binary;
using System.Text;

namespace Davecast.Wire;

/// <summary>
/// Builds signed packets for one encoder of one mount. Not thread-safe: one per sending loop.
/// </summary>
public sealed class PacketBuilder
{
    private readonly byte[] _mount;
    private readonly byte[] _encoder;
    private readonly byte[] _keyId;
    private readonly PacketKey _key;

    public PacketBuilder(string mount, string encoderId, string keyId, ReadOnlySpan<byte> key, ulong session)
    {
        _mount = Encoding.UTF8.GetBytes(MountName.Normalize(mount));
        _encoder = Encoding.UTF8.GetBytes(encoderId);
        _keyId = Encoding.UTF8.GetBytes(keyId);
        _key = new PacketKey(key);
        Session = session;
    }

    public ulong Session { get; }

    /// <summary>Fixed bytes a packet costs besides its payload.</summary>
    public int Overhead => PacketCodec.Size(_mount.Length, _encoder.Length, _keyId.Length, 0);

    /// <summary>An audio packet of consecutive frames starting at <paramref name="sequence"/>.</summary>
    public int Audio(Span<byte> destination, byte pathId, ulong sequence, long timestampMicros, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        if (frames.Count is 0 or > Protocol.MaxFramesPerPacket) throw new ArgumentOutOfRangeException(nameof(frames));
        // Indexed, not foreach: enumerating an IReadOnlyList boxes an enumerator on every packet.
        int payloadLength = 0;
        for (int i = 0; i < frames.Count; i++) payloadLength += 2 + frames[i].Length;
        var fields = new PacketFields(PacketType.Audio, pathId, Session, sequence, timestampMicros, (byte)frames.Count);
        int at = PacketCodec.WriteHeader(destination, fields, _mount, _encoder, _keyId, payloadLength);
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i].Span;
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)f.Length);
            f.CopyTo(destination[(at + 2)..]);
            at += 2 + f.Length;
        }
        return _key.Sign(destination, at);
    }

    public int Control(Span<byte> destination, PacketType type, byte pathId, ulong counter, long timestampMicros, ReadOnlySpan<byte> payload)
    {
        if (type == PacketType.Audio) throw new ArgumentException("use Audio for frames", nameof(type));
        var fields = new PacketFields(type, pathId, Session, counter, timestampMicros);
        return _key.Sign(destination, PacketCodec.WriteUnsigned(destination, fields, _mount, _encoder, _keyId, payload));
    }

    public int Heartbeat(Span<byte> destination, byte pathId, ulong counter, long timestampMicros, ulong nextSequence)
    {
        Span<byte> payload = stackalloc byte[Wire.Heartbeat.PayloadSize];
        Wire.Heartbeat.Write(payload, nextSequence);
        return Control(destination, PacketType.Heartbeat, pathId, counter, timestampMicros, payload);
    }
}

/// <summary>Mount names travel without the leading slash and are compared case-sensitively, as Icecast does.</summary>
public static class MountName
{
    public static string Normalize(string mount)
    {
        var m = mount.Trim().TrimStart('/');
        if (m.Length == 0) throw new ArgumentException("mount name is empty");
        foreach (var c in m)
            if (char.IsControl(c) || c == ' ' || c == '?' || c == '#')
                throw new ArgumentException($"mount name '{mount}' has a character that cannot appear in a URL path");
        return m;
    }
}
