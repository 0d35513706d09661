namespace Davecast.Frames;

/// <summary>One codec's frame header: how to recognise it and how long the frame is.</summary>
public interface IFrameFormat
{
    CodecKind Codec { get; }

    /// <summary>Bytes <see cref="TryParseHeader"/> needs (ADTS 7, MPEG audio 4).</summary>
    int HeaderSize { get; }

    /// <summary>
    /// Validates one header. <paramref name="frameLength"/> is the whole frame's length in bytes,
    /// header included.
    /// </summary>
    bool TryParseHeader(ReadOnlySpan<byte> header, out int frameLength, out CodecParameters parameters);
}
