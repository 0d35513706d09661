namespace Davecast.Frames;

/// <summary>One codec's frame header: how to recognise it and how long the frame is.</summary>
public interface IFrameFormat
{
    CodecKind Codec { get; }

    /// <summary>Bytes <see cref="TryParseHeader"/> needs (ADTS 7, MPEG audio 4).</summary>
    int HeaderSize { get; }

    /// <summary>The byte every header of this format starts with, where a splitter looks for one.</summary>
    byte FirstByte { get; }

    /// <summary>
    /// Validates one header. <paramref name="frameLength"/> is the whole frame's length in bytes,
    /// header included.
    /// </summary>
    bool TryParseHeader(ReadOnlySpan<byte> header, out int frameLength, out CodecParameters parameters);

    /// <summary>
    /// <paramref name="partial"/> is shorter than a header: could more bytes still make it one of this format?
    /// Only the sync is checked, as far as <paramref name="partial"/> goes.
    /// </summary>
    bool CouldBecomeHeader(ReadOnlySpan<byte> partial);
}
