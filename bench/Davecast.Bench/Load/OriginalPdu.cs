using System.Buffers.Binary;
using Davecast.Frames;

namespace Davecast.Bench.Load;

/// <summary>
/// The original Davecast's datagram, as its doc/protocol.txt describes it: a type byte, the replica (which relay it
/// goes to), the encoder's 16-byte stream id, a big-endian 64-bit sequence number that every PDU of the encoder takes
/// in turn, then the body. Only what the side-by-side load sends: audio frames and announcements.
/// </summary>
public static class OriginalPdu
{
    public const int HeaderSize = 26;
    public const int StreamIdSize = 16;

    /// <summary>Body: one audio frame.</summary>
    public const byte Audio = 0;

    /// <summary>Body: the stream type byte, then the mount name (ASCII).</summary>
    public const byte Announce = 2;

    /// <summary>The stream type of an announcement: the original knows 48 kbps AAC as 0 and 128 kbps MP3 as 1.</summary>
    public static byte StreamType(CodecKind codec) => codec switch
    {
        CodecKind.Aac => 0,
        CodecKind.Mpeg => 1,
        _ => throw new ArgumentException($"the original Davecast carries AAC or MP3, not {codec}"),
    };

    /// <summary>Writes a PDU into <paramref name="into"/>; returns its length.</summary>
    public static int Write(Span<byte> into, byte type, byte replica, ReadOnlySpan<byte> streamId, ulong sequence, ReadOnlySpan<byte> body)
    {
        into[0] = type;
        into[1] = replica;
        streamId.CopyTo(into.Slice(2, StreamIdSize));
        BinaryPrimitives.WriteUInt64BigEndian(into.Slice(2 + StreamIdSize, 8), sequence);
        body.CopyTo(into[HeaderSize..]);
        return HeaderSize + body.Length;
    }
}
