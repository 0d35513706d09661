using System.Buffers.Binary;
using System.Buffers;
using System.Text;

namespace Davecast.Frames;

/// <summary>How a <see cref="ForeignFormat"/> becomes a stream the publisher reads.</summary>
public enum Conversion
{
    /// <summary>Not audio: nothing to convert.</summary>
    None,
    /// <summary>Encoded again, to AAC (or MP3).</summary>
    Encode,
    /// <summary>The AAC inside, as it is, in ADTS frames.</summary>
    CopyAac,
}

/// <summary>A format that holds audio, but not as ADTS or MPEG audio frames (WAV, MP4, Ogg, FLAC, Matroska), or text.</summary>
public sealed record ForeignFormat(string Name, string Extension, Conversion Conversion)
{
    /// <summary>What to tell the user about <paramref name="input"/> (a path, or null for a stream without one): what it is and the ffmpeg command that converts it.</summary>
    public string Explain(string? input)
    {
        string source = Quote(input ?? "in" + Extension);
        string encode = $"`ffmpeg -i {source} -c:a aac -b:a 128k -f adts out.aac`";
        return Conversion switch
        {
            Conversion.Encode => $"it is {Name}, which holds no AAC (ADTS) or MP3 frames: convert it with {encode}, or to MP3 with `ffmpeg -i {source} -c:a libmp3lame -b:a 128k out.mp3`",
            Conversion.CopyAac => $"it is {Name}, which holds no AAC (ADTS) or MP3 frames: take its AAC out with `ffmpeg -i {source} -c:a copy -f adts out.aac` (other audio in it: {encode})",
            _ => $"it is {Name}, not audio: give an AAC (ADTS) or MP3 stream",
        };
    }

    // A path as a shell argument: single quotes unless it is plain.
    private static string Quote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '/' or '_' or '-' or '+') ? path : "'" + path.Replace("'", "'\\''") + "'";
}

/// <summary>Recognises the formats the publisher does not read from a stream's first bytes, as <c>file(1)</c> would.</summary>
public static class ForeignFormats
{
    /// <summary>Bytes of a stream's start that <see cref="Recognise"/> looks at (text needs the most).</summary>
    public const int HeadSize = 512;

    public static readonly ForeignFormat Wav = new("a WAV file (RIFF/WAVE)", ".wav", Conversion.Encode);
    public static readonly ForeignFormat Mp4 = new("an MP4/M4A file (ISO media, ftyp)", ".m4a", Conversion.CopyAac);
    public static readonly ForeignFormat Ogg = new("an Ogg file (Vorbis, Opus or FLAC in Ogg)", ".ogg", Conversion.Encode);
    public static readonly ForeignFormat Flac = new("a FLAC file", ".flac", Conversion.Encode);
    public static readonly ForeignFormat Matroska = new("a Matroska/WebM file", ".webm", Conversion.Encode);
    public static readonly ForeignFormat Text = new("text", ".txt", Conversion.None);

    /// <summary>
    /// The format that <paramref name="head"/> (a stream's first bytes, up to <see cref="HeadSize"/>) starts, or null
    /// for anything else, ADTS and MPEG audio included. Text is only told when the head holds no byte that text lacks.
    /// </summary>
    public static ForeignFormat? Recognise(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WAVE"u8))
            return IsMpegInWav(head) ? null : Wav;
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8)) return Mp4;
        if (head.StartsWith("OggS"u8)) return Ogg;
        if (head.StartsWith("fLaC"u8)) return Flac;
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return Matroska;
        return IsText(head) ? Text : null;
    }

    // WAV can carry MPEG audio (format 0x50 or 0x55): its frames are found as in a bare MP3 file.
    private static bool IsMpegInWav(ReadOnlySpan<byte> head) =>
        head.Length >= 22 && head[12..16].SequenceEqual("fmt "u8) && BinaryPrimitives.ReadUInt16LittleEndian(head[20..22]) is 0x50 or 0x55;

    // UTF-8 without control characters other than tab, line breaks and form feed; the head may end inside a character.
    private static bool IsText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty) return false;
        while (!head.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(head, out var rune, out int length);
            if (status == OperationStatus.NeedMoreData) return true;
            if (status != OperationStatus.Done || (Rune.IsControl(rune) && rune.Value is not ('\t' or '\n' or '\r' or '\f'))) return false;
            head = head[length..];
        }
        return true;
    }
}
