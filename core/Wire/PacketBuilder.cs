using System.Buffers.Binary;
using System.Text;

namespace Davecast.Wire;

/// <summary>
/// Builds signed packets for one encoder of one mount. A publisher sends each packet on every path, and the copies
/// differ only in the path id, which the tag covers (relays tell copies on different paths apart by it): so a packet
/// is built once without them (the *Unsigned methods) and <see cref="SignFor"/> writes the path id and the tag for
/// each path. Thread-safe: it keeps no state of its own, and <see cref="PacketKey"/> is thread-safe.
/// </summary>
public sealed class PacketBuilder
{
    private readonly byte[] _mount;
    private readonly byte[] _encoder;
    private readonly byte[] _keyId;
    private readonly PacketKey _key;

    public PacketBuilder(string mount, string encoderId, string keyId, PacketKey key, ulong session)
    {
        _mount = Encoding.UTF8.GetBytes(MountName.Normalize(mount));
        _encoder = Encoding.UTF8.GetBytes(encoderId);
        _keyId = Encoding.UTF8.GetBytes(keyId);
        _key = key;
        Session = session;
    }

    public PacketBuilder(string mount, string encoderId, string keyId, ReadOnlySpan<byte> key, ulong session)
        : this(mount, encoderId, keyId, new PacketKey(key), session)
    {
    }

    public ulong Session { get; }

    /// <summary>Fixed bytes a packet costs besides its payload.</summary>
    public int Overhead => PacketCodec.Size(_mount.Length, _encoder.Length, _keyId.Length, 0);

    /// <summary>An audio packet of consecutive frames starting at <paramref name="sequence"/>, signed for one path.</summary>
    public int Audio(Span<byte> destination, byte pathId, ulong sequence, long timestampMicros, IReadOnlyList<ReadOnlyMemory<byte>> frames) =>
        SignFor(destination, AudioUnsigned(destination, sequence, timestampMicros, frames), pathId);

    /// <summary>An audio packet without path id and tag; returns the length <see cref="SignFor"/> signs.</summary>
    public int AudioUnsigned(Span<byte> destination, ulong sequence, long timestampMicros, IReadOnlyList<ReadOnlyMemory<byte>> frames)
    {
        if (frames.Count is 0 or > Protocol.MaxFramesPerPacket) throw new ArgumentOutOfRangeException(nameof(frames));
        // Indexed, not foreach: enumerating an IReadOnlyList boxes an enumerator on every packet.
        int payloadLength = 0;
        for (int i = 0; i < frames.Count; i++) payloadLength += 2 + frames[i].Length;
        var fields = new PacketFields(PacketType.Audio, 0, Session, sequence, timestampMicros, (byte)frames.Count);
        int at = PacketCodec.WriteHeader(destination, fields, _mount, _encoder, _keyId, payloadLength);
        for (int i = 0; i < frames.Count; i++)
        {
            var f = frames[i].Span;
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)f.Length);
            f.CopyTo(destination[(at + 2)..]);
            at += 2 + f.Length;
        }
        return at;
    }

    /// <summary>A control packet, signed for one path.</summary>
    public int Control(Span<byte> destination, PacketType type, byte pathId, ulong counter, long timestampMicros, ReadOnlySpan<byte> payload) =>
        SignFor(destination, ControlUnsigned(destination, type, counter, timestampMicros, payload), pathId);

    /// <summary>A control packet without path id and tag; returns the length <see cref="SignFor"/> signs.</summary>
    public int ControlUnsigned(Span<byte> destination, PacketType type, ulong counter, long timestampMicros, ReadOnlySpan<byte> payload)
    {
        if (type == PacketType.Audio) throw new ArgumentException("use Audio for frames", nameof(type));
        var fields = new PacketFields(type, 0, Session, counter, timestampMicros);
        return PacketCodec.WriteUnsigned(destination, fields, _mount, _encoder, _keyId, payload);
    }

    /// <summary>A heartbeat, signed for one path.</summary>
    public int Heartbeat(Span<byte> destination, byte pathId, ulong counter, long timestampMicros, ulong nextSequence) =>
        SignFor(destination, HeartbeatUnsigned(destination, counter, timestampMicros, nextSequence), pathId);

    /// <summary>A heartbeat without path id and tag; returns the length <see cref="SignFor"/> signs.</summary>
    public int HeartbeatUnsigned(Span<byte> destination, ulong counter, long timestampMicros, ulong nextSequence)
    {
        Span<byte> payload = stackalloc byte[Wire.Heartbeat.PayloadSize];
        Wire.Heartbeat.Write(payload, nextSequence);
        return ControlUnsigned(destination, PacketType.Heartbeat, counter, timestampMicros, payload);
    }

    /// <summary>
    /// Makes a packet built by an *Unsigned method the copy for path <paramref name="pathId"/>: writes the path id,
    /// then the tag after the first <paramref name="signedLength"/> bytes. Returns the packet's length.
    /// </summary>
    public int SignFor(Span<byte> packet, int signedLength, byte pathId)
    {
        PacketCodec.SetPathId(packet, pathId);
        return _key.Sign(packet, signedLength);
    }
}
