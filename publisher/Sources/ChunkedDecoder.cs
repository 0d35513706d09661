namespace Davecast.Publisher.Sources;

/// <summary>
/// Takes HTTP/1.1 chunked transfer coding off a request body (as curl -T - sends it), in place, fed in pieces of any
/// size. Chunk extensions and trailers are skipped.
/// </summary>
public sealed class ChunkedDecoder
{
    private const int MaxSizeDigits = 15;

    private State _state = State.Size;
    private long _remaining;
    private int _digits;

    private enum State : byte
    {
        Size,
        SizeLineRest,
        Data,
        DataEnd,
        TrailerLineStart,
        TrailerLine,
        Done,
    }

    /// <summary>The last (zero-size) chunk and the trailer have been read: the body is over.</summary>
    public bool IsDone => _state == State.Done;

    /// <summary>
    /// Decodes <paramref name="data"/> in place and returns how many bytes of the body now start it. Throws
    /// <see cref="InvalidDataException"/> when the coding is broken. Bytes after the end of the body are ignored.
    /// </summary>
    public int Decode(Span<byte> data)
    {
        int written = 0;
        int i = 0;
        while (i < data.Length && _state != State.Done)
        {
            if (_state == State.Data)
            {
                int n = (int)Math.Min(_remaining, data.Length - i);
                data.Slice(i, n).CopyTo(data[written..]);
                written += n;
                i += n;
                _remaining -= n;
                if (_remaining == 0) _state = State.DataEnd;
                continue;
            }
            byte b = data[i++];
            _state = _state switch
            {
                State.Size => Size(b),
                State.SizeLineRest => b == '\n' ? EndOfSizeLine() : State.SizeLineRest,
                State.DataEnd => b == '\n' ? State.Size : b == '\r' ? State.DataEnd : throw new InvalidDataException("a chunk does not end where its size says"),
                State.TrailerLineStart => b == '\n' ? State.Done : b == '\r' ? State.TrailerLineStart : State.TrailerLine,
                _ => b == '\n' ? State.TrailerLineStart : State.TrailerLine,
            };
        }
        return written;
    }

    private State Size(byte b)
    {
        int value = HexValue(b);
        if (value >= 0)
        {
            if (++_digits > MaxSizeDigits) throw new InvalidDataException("a chunk size is too long");
            _remaining = _remaining * 16 + value;
            return State.Size;
        }
        if (_digits == 0) throw new InvalidDataException("a chunk does not start with its size");
        return b == '\n' ? EndOfSizeLine() : State.SizeLineRest;
    }

    private State EndOfSizeLine()
    {
        _digits = 0;
        return _remaining == 0 ? State.TrailerLineStart : State.Data;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
