using System.Buffers.Binary;

namespace Davecast.Wire;

/// <summary>The fixed fields of a packet, as a publisher fills them in.</summary>
public readonly record struct PacketFields(
    PacketType Type,
    byte PathId,
    ulong Session,
    ulong Sequence,
    long TimestampMicros,
    byte FrameCount = 0,
    byte Flags = 0);

/// <summary>A parsed packet: views into the datagram, valid while the buffer is.</summary>
public readonly ref struct PacketView
{
    public PacketType Type { get; init; }
    public byte Flags { get; init; }
    public byte PathId { get; init; }
    public int FrameCount { get; init; }
    public ulong Session { get; init; }
    public ulong Sequence { get; init; }
    public long TimestampMicros { get; init; }
    public ReadOnlySpan<byte> Mount { get; init; }
    public ReadOnlySpan<byte> Encoder { get; init; }
    public ReadOnlySpan<byte> KeyId { get; init; }
    public ReadOnlySpan<byte> Payload { get; init; }
    /// <summary>Every byte the tag covers.</summary>
    public ReadOnlySpan<byte> Signed { get; init; }
    public ReadOnlySpan<byte> Tag { get; init; }

    /// <summary>The frames of an audio packet.</summary>
    public AudioFrameEnumerator Frames => new(Payload, FrameCount);
}

/// <summary>Walks the length-prefixed frames of an audio payload.</summary>
public ref struct AudioFrameEnumerator(ReadOnlySpan<byte> payload, int count)
{
    private ReadOnlySpan<byte> _rest = payload;
    private int _left = count;

    public ReadOnlySpan<byte> Current { get; private set; }

    public readonly AudioFrameEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left == 0 || _rest.Length < 2) return false;
        int length = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        if (length == 0 || _rest.Length < 2 + length) return false;
        Current = _rest.Slice(2, length);
        _rest = _rest[(2 + length)..];
        _left--;
        return true;
    }
}

/// <summary>Encodes and decodes wire protocol version 1 (docs/protocol.md); <see cref="PacketKey"/> makes and checks the tags. Allocation-free.</summary>
public static class PacketCodec
{
    private const int PathIdOffset = 5;

    /// <summary>Bytes a packet takes for the given name lengths and payload.</summary>
    public static int Size(int mountBytes, int encoderBytes, int keyIdBytes, int payloadBytes) =>
        Protocol.FixedHeaderSize + mountBytes + encoderBytes + keyIdBytes + payloadBytes + Protocol.TagSize;

    /// <summary>Writes the header and the payload, then signs them with <paramref name="key"/>. Returns the packet's length.</summary>
    public static int Write(
        Span<byte> destination,
        in PacketFields fields,
        ReadOnlySpan<byte> mount,
        ReadOnlySpan<byte> encoder,
        ReadOnlySpan<byte> keyId,
        ReadOnlySpan<byte> payload,
        PacketKey key) =>
        key.Sign(destination, WriteUnsigned(destination, fields, mount, encoder, keyId, payload));

    /// <summary>Header and payload, without the tag; returns the length to sign.</summary>
    public static int WriteUnsigned(
        Span<byte> destination,
        in PacketFields fields,
        ReadOnlySpan<byte> mount,
        ReadOnlySpan<byte> encoder,
        ReadOnlySpan<byte> keyId,
        ReadOnlySpan<byte> payload)
    {
        int headerEnd = WriteHeader(destination, fields, mount, encoder, keyId, payload.Length);
        payload.CopyTo(destination[headerEnd..]);
        return headerEnd + payload.Length;
    }

    /// <summary>Writes everything before the payload; returns where the payload starts.</summary>
    public static int WriteHeader(
        Span<byte> destination,
        in PacketFields fields,
        ReadOnlySpan<byte> mount,
        ReadOnlySpan<byte> encoder,
        ReadOnlySpan<byte> keyId,
        int payloadLength)
    {
        if (mount.Length is 0 or > Protocol.MaxMountLength) throw new ArgumentException("mount must be 1-128 bytes", nameof(mount));
        if (encoder.Length is 0 or > Protocol.MaxEncoderLength) throw new ArgumentException("encoder id must be 1-64 bytes", nameof(encoder));
        if (keyId.Length is 0 or > Protocol.MaxKeyIdLength) throw new ArgumentException("key id must be 1-64 bytes", nameof(keyId));
        if (payloadLength is < 0 or > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(payloadLength));
        int total = Size(mount.Length, encoder.Length, keyId.Length, payloadLength);
        if (total > Protocol.MaxPacketSize) throw new ArgumentException($"packet of {total} bytes exceeds {Protocol.MaxPacketSize}");
        if (destination.Length < total) throw new ArgumentException("destination too small", nameof(destination));

        destination[0] = Protocol.Magic0;
        destination[1] = Protocol.Magic1;
        destination[2] = Protocol.Version;
        destination[3] = (byte)fields.Type;
        destination[4] = fields.Flags;
        destination[PathIdOffset] = fields.PathId;
        destination[6] = (byte)mount.Length;
        destination[7] = (byte)encoder.Length;
        destination[8] = (byte)keyId.Length;
        destination[9] = fields.FrameCount;
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], (ushort)payloadLength);
        BinaryPrimitives.WriteUInt64BigEndian(destination[12..], fields.Session);
        BinaryPrimitives.WriteUInt64BigEndian(destination[20..], fields.Sequence);
        BinaryPrimitives.WriteInt64BigEndian(destination[28..], fields.TimestampMicros);
        int at = Protocol.FixedHeaderSize;
        mount.CopyTo(destination[at..]); at += mount.Length;
        encoder.CopyTo(destination[at..]); at += encoder.Length;
        keyId.CopyTo(destination[at..]); at += keyId.Length;
        return at;
    }

    /// <summary>Rewrites the path id of a packet written by <see cref="WriteHeader"/>; the packet must be signed afterwards.</summary>
    public static void SetPathId(Span<byte> packet, byte pathId) => packet[PathIdOffset] = pathId;

    /// <summary>Checks structure only (not the tag). A packet must be whole: no trailing bytes.</summary>
    public static RejectReason TryParse(ReadOnlySpan<byte> packet, out PacketView view)
    {
        view = default;
        if (packet.Length < Protocol.FixedHeaderSize + Protocol.TagSize) return RejectReason.TooShort;
        if (packet.Length > Protocol.MaxPacketSize) return RejectReason.Oversized;
        if (packet[0] != Protocol.Magic0 || packet[1] != Protocol.Magic1) return RejectReason.BadMagic;
        if (packet[2] != Protocol.Version) return RejectReason.BadVersion;
        var type = (PacketType)packet[3];
        if (type is < PacketType.Audio or > PacketType.Refused) return RejectReason.BadType;
        int mountLen = packet[6], encoderLen = packet[7], keyLen = packet[8], frameCount = packet[9];
        int payloadLen = BinaryPrimitives.ReadUInt16BigEndian(packet[10..]);
        if (mountLen is 0 or > Protocol.MaxMountLength || encoderLen is 0 or > Protocol.MaxEncoderLength
            || keyLen is 0 or > Protocol.MaxKeyIdLength)
            return RejectReason.BadField;
        if (Size(mountLen, encoderLen, keyLen, payloadLen) != packet.Length) return RejectReason.BadLength;
        if (type == PacketType.Audio ? frameCount is 0 or > Protocol.MaxFramesPerPacket : frameCount != 0)
            return RejectReason.BadField;

        int at = Protocol.FixedHeaderSize;
        var mount = packet.Slice(at, mountLen); at += mountLen;
        var encoder = packet.Slice(at, encoderLen); at += encoderLen;
        var keyId = packet.Slice(at, keyLen); at += keyLen;
        var payload = packet.Slice(at, payloadLen); at += payloadLen;
        if (type == PacketType.Audio && !AudioPayloadIsWellFormed(payload, frameCount)) return RejectReason.BadLength;

        view = new PacketView
        {
            Type = type,
            Flags = packet[4],
            PathId = packet[PathIdOffset],
            FrameCount = frameCount,
            Session = BinaryPrimitives.ReadUInt64BigEndian(packet[12..]),
            Sequence = BinaryPrimitives.ReadUInt64BigEndian(packet[20..]),
            TimestampMicros = BinaryPrimitives.ReadInt64BigEndian(packet[28..]),
            Mount = mount,
            Encoder = encoder,
            KeyId = keyId,
            Payload = payload,
            Signed = packet[..at],
            Tag = packet.Slice(at, Protocol.TagSize),
        };
        return RejectReason.None;
    }

    private static bool AudioPayloadIsWellFormed(ReadOnlySpan<byte> payload, int frameCount)
    {
        for (int i = 0; i < frameCount; i++)
        {
            if (payload.Length < 2) return false;
            int length = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (length == 0 || payload.Length < 2 + length) return false;
            payload = payload[(2 + length)..];
        }
        return payload.IsEmpty;
    }
}
