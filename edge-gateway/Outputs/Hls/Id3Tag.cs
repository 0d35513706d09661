using System.Buffers.Binary;
using System.Text;

namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// The ID3v2.4 tag that opens each packed-audio segment (RFC 8216, 3.4): the PRIV frame
/// <c>com.apple.streaming.transportStreamTimestamp</c> giving the segment's first sample as a 33-bit 90 kHz
/// timestamp, and the stream title as timed metadata (TIT2, and TXXX "StreamTitle" as an ICY player names it).
/// </summary>
public static class Id3Tag
{
    private const string TimestampOwner = "com.apple.streaming.transportStreamTimestamp";
    private const int HeaderBytes = 10;

    /// <summary>The 33-bit MPEG-2 90 kHz clock value of a media time in microseconds.</summary>
    public static ulong Timestamp90kHz(long micros) => (ulong)(Math.Max(0, micros) * 9 / 100) & ((1UL << 33) - 1);

    /// <summary>The whole tag: header, the timestamp, then the title's two frames when a title is given.</summary>
    public static byte[] Build(long startMicros, string? title)
    {
        var frames = new List<byte[]> { Frame("PRIV", [.. Latin1(TimestampOwner), 0, .. BigEndian(Timestamp90kHz(startMicros))]) };
        if (title is not null)
        {
            byte[] text = Encoding.UTF8.GetBytes(title);
            frames.Add(Frame("TIT2", [Utf8Encoding, .. text]));
            frames.Add(Frame("TXXX", [Utf8Encoding, .. Latin1("StreamTitle"), 0, .. text]));
        }
        int size = frames.Sum(f => f.Length);
        var tag = new byte[HeaderBytes + size];
        "ID3"u8.CopyTo(tag);
        tag[3] = 4; // version 2.4.0, no flags
        WriteSynchsafe(tag.AsSpan(6), size);
        int at = HeaderBytes;
        foreach (var f in frames)
        {
            f.CopyTo(tag, at);
            at += f.Length;
        }
        return tag;
    }

    /// <summary>The size of the ID3v2 tag at the start of <paramref name="data"/>, 0 when none is there.</summary>
    public static int Length(ReadOnlySpan<byte> data)
    {
        if (data.Length < HeaderBytes || !data.StartsWith("ID3"u8)) return 0;
        int size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9];
        return HeaderBytes + size + ((data[5] & 0x10) != 0 ? HeaderBytes : 0);
    }

    private const byte Utf8Encoding = 3;

    private static byte[] Frame(string id, byte[] body)
    {
        var frame = new byte[HeaderBytes + body.Length];
        Encoding.ASCII.GetBytes(id, frame);
        WriteSynchsafe(frame.AsSpan(4), body.Length);
        body.CopyTo(frame, HeaderBytes);
        return frame;
    }

    private static void WriteSynchsafe(Span<byte> to, int value)
    {
        for (int i = 0; i < 4; i++) to[i] = (byte)((value >> (7 * (3 - i))) & 0x7F);
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    private static byte[] BigEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }
}
