using System.Buffers.Binary;
using System.Text;
using Davecast.Frames;

namespace Davecast.Wire;

/// <summary>
/// Payload of an Announce packet: what the encoder sends, its priority for the live election and
/// the Icy headers (icy-name, icy-genre...) that edges pass on to listeners.
/// </summary>
public sealed record Announce(CodecParameters Parameters, byte Priority, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    private const int FixedSize = 1 + 4 + 1 + 2 + 1 + 1 + 2 + 1 + 1;

    public byte[] Encode()
    {
        var buffer = new byte[EncodedSize()];
        var p = Parameters;
        buffer[0] = (byte)p.Codec;
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(1), p.SampleRate);
        buffer[5] = (byte)p.Channels;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(6), (ushort)p.BitrateKbps);
        buffer[8] = (byte)p.ProfileOrLayer;
        buffer[9] = (byte)p.Version;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), (ushort)p.SamplesPerFrame);
        buffer[12] = Priority;
        buffer[13] = (byte)Headers.Count;
        int at = FixedSize;
        foreach (var (name, value) in Headers)
        {
            at += WriteString8(buffer.AsSpan(at), name);
            at += WriteString16(buffer.AsSpan(at), value);
        }
        return buffer;
    }

    private int EncodedSize()
    {
        if (Headers.Count > byte.MaxValue) throw new ArgumentException("at most 255 headers");
        int size = FixedSize;
        foreach (var (name, value) in Headers)
        {
            int n = Encoding.UTF8.GetByteCount(name), v = Encoding.UTF8.GetByteCount(value);
            if (n is 0 or > byte.MaxValue) throw new ArgumentException($"header name '{name}' must be 1-255 bytes");
            if (v > 1024) throw new ArgumentException($"header '{name}' value must be at most 1024 bytes");
            size += 1 + n + 2 + v;
        }
        return size;
    }

    public static bool TryDecode(ReadOnlySpan<byte> payload, out Announce? announce)
    {
        announce = null;
        if (payload.Length < FixedSize) return false;
        var codec = (CodecKind)payload[0];
        if (codec is not (CodecKind.Aac or CodecKind.Mpeg)) return false;
        var p = new CodecParameters(
            codec,
            BinaryPrimitives.ReadInt32BigEndian(payload[1..]),
            payload[5],
            BinaryPrimitives.ReadUInt16BigEndian(payload[6..]),
            payload[8],
            payload[9],
            BinaryPrimitives.ReadUInt16BigEndian(payload[10..]));
        if (p.SampleRate is <= 0 or > 192_000 || p.Channels == 0 || p.SamplesPerFrame == 0) return false;
        byte priority = payload[12];
        int count = payload[13];
        var headers = new List<KeyValuePair<string, string>>(count);
        var rest = payload[FixedSize..];
        for (int i = 0; i < count; i++)
        {
            if (!TryReadString8(ref rest, out var name) || !TryReadString16(ref rest, out var value)) return false;
            headers.Add(new(name, value));
        }
        if (!rest.IsEmpty) return false;
        announce = new Announce(p, priority, headers);
        return true;
    }

    internal static int WriteString8(Span<byte> dest, string s)
    {
        int n = Encoding.UTF8.GetBytes(s, dest[1..]);
        dest[0] = (byte)n;
        return 1 + n;
    }

    internal static int WriteString16(Span<byte> dest, string s)
    {
        int n = Encoding.UTF8.GetBytes(s, dest[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(dest, (ushort)n);
        return 2 + n;
    }

    internal static bool TryReadString8(ref ReadOnlySpan<byte> span, out string value)
    {
        value = "";
        if (span.Length < 1 || span.Length < 1 + span[0]) return false;
        value = Encoding.UTF8.GetString(span.Slice(1, span[0]));
        span = span[(1 + span[0])..];
        return true;
    }

    internal static bool TryReadString16(ref ReadOnlySpan<byte> span, out string value)
    {
        value = "";
        if (span.Length < 2) return false;
        int n = BinaryPrimitives.ReadUInt16BigEndian(span);
        if (span.Length < 2 + n) return false;
        value = Encoding.UTF8.GetString(span.Slice(2, n));
        span = span[(2 + n)..];
        return true;
    }
}

/// <summary>Payload of a Metadata packet: a title that applies from frame <paramref name="FromSequence"/> on.</summary>
public sealed record TitleUpdate(ulong FromSequence, string Title)
{
    public byte[] Encode()
    {
        var buffer = new byte[8 + 2 + Encoding.UTF8.GetByteCount(Title)];
        if (buffer.Length > 8 + 2 + 4096) throw new ArgumentException("title must be at most 4096 bytes");
        BinaryPrimitives.WriteUInt64BigEndian(buffer, FromSequence);
        Announce.WriteString16(buffer.AsSpan(8), Title);
        return buffer;
    }

    public static bool TryDecode(ReadOnlySpan<byte> payload, out TitleUpdate? update)
    {
        update = null;
        if (payload.Length < 10) return false;
        ulong from = BinaryPrimitives.ReadUInt64BigEndian(payload);
        var rest = payload[8..];
        if (!Announce.TryReadString16(ref rest, out var title) || !rest.IsEmpty) return false;
        update = new TitleUpdate(from, title);
        return true;
    }
}

/// <summary>Payload of a Heartbeat packet: the sequence number of the encoder's next frame.</summary>
public static class Heartbeat
{
    public const int PayloadSize = 8;

    public static void Write(Span<byte> payload, ulong nextSequence) => BinaryPrimitives.WriteUInt64BigEndian(payload, nextSequence);

    public static bool TryRead(ReadOnlySpan<byte> payload, out ulong nextSequence)
    {
        nextSequence = 0;
        if (payload.Length != PayloadSize) return false;
        nextSequence = BinaryPrimitives.ReadUInt64BigEndian(payload);
        return true;
    }
}
