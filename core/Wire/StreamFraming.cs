using System.Buffers;
using System.Buffers.Binary;

namespace Davecast.Wire;

/// <summary>
/// On TCP each packet is preceded by its length as a 2-byte big-endian number.
/// </summary>
public static class StreamFraming
{
    public const int PrefixSize = 2;

    public static void WritePrefix(Span<byte> destination, int packetLength)
    {
        if (packetLength is <= 0 or > Protocol.MaxPacketSize) throw new ArgumentOutOfRangeException(nameof(packetLength));
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)packetLength);
    }

    /// <summary>
    /// The packet length in a prefix (at least <see cref="PrefixSize"/> bytes); false when it cannot be a packet's
    /// (0, or above <see cref="Protocol.MaxPacketSize"/>): the stream is corrupt.
    /// </summary>
    public static bool TryReadLength(ReadOnlySpan<byte> prefix, out int length)
    {
        length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        return length is > 0 and <= Protocol.MaxPacketSize;
    }

    /// <summary>
    /// Takes one length-prefixed packet from the front of <paramref name="buffer"/>. A length of 0 or above
    /// <see cref="Protocol.MaxPacketSize"/> means the stream is corrupt: <paramref name="corrupt"/> is set and the
    /// connection should be closed.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> packet, out bool corrupt)
    {
        packet = default;
        corrupt = false;
        if (buffer.Length < PrefixSize) return false;
        Span<byte> prefix = stackalloc byte[PrefixSize];
        buffer.Slice(0, PrefixSize).CopyTo(prefix);
        if (!TryReadLength(prefix, out int length))
        {
            corrupt = true;
            return false;
        }
        if (buffer.Length < PrefixSize + length) return false;
        packet = buffer.Slice(PrefixSize, length);
        buffer = buffer.Slice(PrefixSize + length);
        return true;
    }
}
