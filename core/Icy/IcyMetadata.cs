using System.Text;
using Davecast.Http;

namespace Davecast.Icy;

/// <summary>
/// ICY ("Shoutcast") in-band metadata: with <c>icy-metaint: N</c>, every N bytes of audio are followed by one
/// length byte L and then 16·L bytes of text such as <c>StreamTitle='Artist - Song';</c>, padded with NULs.
/// L = 0 means "no change". Used by the edge (writing), the publisher (reading an upstream) and the tests.
/// </summary>
public static class IcyMetadata
{
    /// <summary>Audio bytes between metadata blocks unless configured otherwise (Icecast's default).</summary>
    public const int DefaultInterval = 16000;

    /// <summary>Largest text a block can carry: the length byte counts 16-byte units.</summary>
    public const int MaxTextBytes = 255 * 16;

    private static readonly byte[] TitleStart = "StreamTitle='"u8.ToArray();

    /// <summary>A whole block (length byte included) that sets the stream title; an over-long title is cut at a character boundary.</summary>
    public static byte[] TitleBlock(string title)
    {
        const int Frame = 15; // StreamTitle=' + ';
        var bytes = Encoding.UTF8.GetBytes(title);
        int keep = bytes.Length;
        if (Frame + keep > MaxTextBytes)
        {
            keep = MaxTextBytes - Frame;
            // Do not split a UTF-8 sequence: step back over continuation bytes.
            while (keep > 0 && (bytes[keep] & 0xC0) == 0x80) keep--;
        }
        int text = Frame + keep;
        int units = (text + 15) / 16;
        var block = new byte[1 + units * 16];
        block[0] = (byte)units;
        TitleStart.CopyTo(block, 1);
        bytes.AsSpan(0, keep).CopyTo(block.AsSpan(1 + TitleStart.Length));
        block[1 + TitleStart.Length + keep] = (byte)'\'';
        block[2 + TitleStart.Length + keep] = (byte)';';
        return block;
    }

    /// <summary>
    /// The StreamTitle in a block's text (without its length byte; trailing NULs allowed). False when the text has
    /// no StreamTitle. Text that is not valid UTF-8 is read as Latin-1, as older encoders send it.
    /// </summary>
    public static bool TryReadTitle(ReadOnlySpan<byte> text, out string title)
    {
        title = "";
        int start = text.IndexOf(TitleStart);
        if (start < 0) return false;
        var rest = text[(start + TitleStart.Length)..];
        int end = rest.IndexOf("';"u8);
        if (end < 0)
        {
            // Cut short: up to the padding, without a closing quote.
            end = rest.IndexOf((byte)0);
            if (end < 0) end = rest.Length;
            if (end > 0 && rest[end - 1] == (byte)'\'') end--;
        }
        title = TextBytes.Decode(rest[..end]);
        return true;
    }
}

/// <summary>What an <see cref="IcyDemuxer"/> finds in the stream.</summary>
public interface IIcySink
{
    /// <summary>Audio bytes, in order.</summary>
    void Audio(ReadOnlySpan<byte> audio);

    /// <summary>
    /// A non-empty metadata block's text, found after <paramref name="audioPosition"/> bytes of audio in all:
    /// it applies from that point of the audio on.
    /// </summary>
    void Metadata(ReadOnlySpan<byte> text, long audioPosition);
}

/// <summary>
/// Separates audio from ICY metadata blocks in a stream served with <c>icy-metaint</c>, fed in pieces of any size.
/// With an interval of 0 everything is audio.
/// </summary>
public sealed class IcyDemuxer
{
    private readonly int _interval;
    private readonly byte[] _text = new byte[IcyMetadata.MaxTextBytes];
    private int _untilMetadata;
    private int _textLength = -1; // -1: expecting audio or the length byte; otherwise bytes of text expected
    private int _textRead;

    public IcyDemuxer(int interval)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(interval);
        _interval = interval;
        _untilMetadata = interval;
    }

    /// <summary>Audio bytes passed on so far.</summary>
    public long AudioBytes { get; private set; }

    /// <summary>Metadata blocks seen so far, empty ones included.</summary>
    public long Blocks { get; private set; }

    public void Feed(ReadOnlySpan<byte> input, IIcySink sink)
    {
        if (_interval == 0)
        {
            AudioBytes += input.Length;
            sink.Audio(input);
            return;
        }
        while (!input.IsEmpty)
        {
            if (_textLength > 0)
            {
                int n = Math.Min(input.Length, _textLength - _textRead);
                input[..n].CopyTo(_text.AsSpan(_textRead));
                _textRead += n;
                input = input[n..];
                if (_textRead == _textLength)
                {
                    sink.Metadata(_text.AsSpan(0, _textLength), AudioBytes);
                    _textLength = -1;
                    _untilMetadata = _interval;
                }
            }
            else if (_untilMetadata == 0)
            {
                Blocks++;
                _textLength = input[0] * 16;
                _textRead = 0;
                input = input[1..];
                if (_textLength == 0)
                {
                    _textLength = -1;
                    _untilMetadata = _interval;
                }
            }
            else
            {
                int n = Math.Min(input.Length, _untilMetadata);
                AudioBytes += n;
                sink.Audio(input[..n]);
                _untilMetadata -= n;
                input = input[n..];
            }
        }
    }
}
