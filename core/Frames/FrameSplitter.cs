using System.Buffers;

namespace Davecast.Frames;

/// <summary>
/// Splits a byte stream into codec frames, incrementally, without allocating per frame. It resyncs
/// over garbage and skips ID3v2 tags (anywhere, e.g. at loop points) and ID3v1 trailers.
/// </summary>
/// <remarks>
/// A frame with a valid header is accepted when:
/// <list type="bullet">
/// <item>a valid header, consistent with it, starts exactly where its length says; or</item>
/// <item>it directly follows an accepted frame, is consistent with it, and either an ID3 tag follows it
/// or no confirmed frame (nor ID3v2 tag) starts inside its length: a real frame followed by garbage,
/// not a fake header that the next real frame starts inside; or</item>
/// <item>the block is final, the frame is complete and fewer bytes than a header follow it.</item>
/// </list>
/// Consistent: <see cref="CodecParameters.IsSameStreamAs"/>. What is format-specific is behind <see cref="IFrameFormat"/>;
/// the formats tried are <see cref="FrameFormats.All"/>.
/// </remarks>
public sealed class FrameSplitter
{
    private const int Id3v2HeaderSize = 10;
    private const int Id3v1Size = 128;

    // First bytes of the known formats' headers.
    private static readonly byte[] HeaderStarts = [.. FrameFormats.All.Select(f => f.FirstByte).Distinct()];

    // Bytes that may start something we recognise: a frame header or an ID3v2 tag.
    private static readonly byte[] StartBytes = [.. HeaderStarts, (byte)'I'];

    // Holds an ID3v2 header or the longest frame header.
    private static readonly int ScratchSize = Math.Max(Id3v2HeaderSize, FrameFormats.MaxHeaderSize);

    private IFrameFormat? _format;
    private long _tagRemaining;
    private Sync _sync;
    private CodecParameters _last;

    public FrameSplitter(CodecKind codec = CodecKind.Unknown)
    {
        Codec = codec;
        _format = codec == CodecKind.Unknown ? null : FrameFormats.For(codec);
    }

    /// <summary>The codec given, or detected from the first confirmed frame.</summary>
    public CodecKind Codec { get; private set; }

    /// <summary>Garbage bytes skipped while resyncing.</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>ID3v2 and ID3v1 tag bytes skipped.</summary>
    public long TagBytes { get; private set; }

    public long FrameCount { get; private set; }

    // What the front of the buffer directly follows.
    private enum Sync : byte
    {
        None,
        AfterFrame,
        AfterTag,
    }

    private enum Outcome : byte
    {
        NotHere,
        NeedMore,
        Frame,
        Tag,
    }

    /// <summary>
    /// Takes one confirmed frame from the front of <paramref name="buffer"/>, advancing it past any
    /// skipped garbage or tag and the frame; <paramref name="frame"/> is a slice of the buffer given.
    /// Returns false when more data is needed: the buffer has then been advanced past everything known
    /// not to start a frame, and the caller keeps the rest for the next call.
    /// </summary>
    /// <param name="isFinalBlock">No more data will follow: nothing waits for more, and whatever cannot
    /// be a frame is skipped, so the buffer ends up empty.</param>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isFinalBlock, out ReadOnlySequence<byte> frame, out CodecParameters parameters)
    {
        frame = default;
        Span<byte> scratch = stackalloc byte[ScratchSize];

        while (true)
        {
            parameters = default;
            if (_tagRemaining > 0)
            {
                long n = Math.Min(_tagRemaining, buffer.Length);
                buffer = buffer.Slice(n);
                _tagRemaining -= n;
                TagBytes += n;
                if (_tagRemaining > 0)
                {
                    return false;
                }

                _sync = Sync.AfterTag;
            }

            if (buffer.IsEmpty)
            {
                return false;
            }

            // Find the first position that starts a frame or a tag, or needs more data to tell.
            var reader = new SequenceReader<byte>(buffer);
            Outcome outcome = Outcome.NotHere;
            long length = 0;
            while (reader.Consumed == 0 || reader.TryAdvanceToAny(StartBytes, advancePastDelimiter: false))
            {
                bool inSync = reader.Consumed == 0 && _sync != Sync.None;
                outcome = Examine(reader, inSync, isFinalBlock, scratch, out length, out parameters);
                if (outcome != Outcome.NotHere)
                {
                    break;
                }

                reader.Advance(1);
                if (reader.End)
                {
                    break;
                }
            }

            if (outcome == Outcome.NotHere)
            {
                reader.AdvanceToEnd();
            }

            long garbage = reader.Consumed;
            if (garbage > 0)
            {
                SkippedBytes += garbage;
                _sync = Sync.None;
                buffer = buffer.Slice(garbage);
            }

            switch (outcome)
            {
                case Outcome.Frame:
                    frame = buffer.Slice(0, length);
                    buffer = buffer.Slice(length);
                    FrameCount++;
                    _sync = Sync.AfterFrame;
                    _last = parameters;
                    if (_format is null)
                    {
                        _format = FrameFormats.For(parameters.Codec);
                        Codec = parameters.Codec;
                    }

                    return true;
                case Outcome.Tag:
                    _tagRemaining = length;
                    continue;
                default:
                    // More data needed, or everything was garbage.
                    parameters = default;
                    return false;
            }
        }
    }

    // What starts at the reader's position? inSync: it directly follows an accepted frame or tag.
    private Outcome Examine(SequenceReader<byte> reader, bool inSync, bool isFinal, Span<byte> scratch, out long length, out CodecParameters parameters)
    {
        length = 0;
        parameters = default;
        reader.TryPeek(out byte first);
        if (first == (byte)'I' || (first == (byte)'T' && inSync))
        {
            var tag = ExamineTag(reader, scratch, out length);
            return tag == Outcome.NeedMore && isFinal ? Outcome.NotHere : tag;
        }

        if (_format is null ? !HeaderStarts.AsSpan().Contains(first) : first != _format.FirstByte)
        {
            return Outcome.NotHere;
        }

        // A frame header: parsed with the stream's format, or with each while the codec is unknown.
        long remaining = reader.Remaining;
        Span<byte> header = scratch[..(int)Math.Min(remaining, scratch.Length)];
        reader.TryCopyTo(header);
        IFrameFormat? format = ParseAny(header, out int frameLength, out parameters);
        if (format is null)
        {
            return !isFinal && CouldBecomeHeader(header) ? Outcome.NeedMore : Outcome.NotHere;
        }

        if (remaining < frameLength)
        {
            return isFinal ? Outcome.NotHere : Outcome.NeedMore;
        }

        length = frameLength;
        bool followsFrame = inSync && _sync == Sync.AfterFrame && _last.IsSameStreamAs(parameters);
        var next = reader;
        next.Advance(frameLength);
        var confirmed = ConfirmBySuccessor(next, format, parameters, followsFrame, isFinal, scratch);
        if (confirmed != Outcome.NotHere || !followsFrame)
        {
            return confirmed;
        }

        // In sync but followed by something else: a real frame, unless a real frame starts inside it.
        return FindFrameInside(reader, frameLength, format, isFinal, scratch) switch
        {
            Outcome.NotHere => Outcome.Frame,
            Outcome.NeedMore => Outcome.NeedMore,
            _ => Outcome.NotHere,
        };
    }

    // Is a frame confirmed by what follows it?
    private static Outcome ConfirmBySuccessor(SequenceReader<byte> next, IFrameFormat format, in CodecParameters parameters, bool followsFrame, bool isFinal, Span<byte> scratch)
    {
        long remaining = next.Remaining;
        if (remaining == 0)
        {
            return isFinal ? Outcome.Frame : Outcome.NeedMore;
        }

        next.TryPeek(out byte first);
        if (first == format.FirstByte && remaining >= format.HeaderSize)
        {
            Span<byte> header = scratch[..format.HeaderSize];
            next.TryCopyTo(header);
            if (format.TryParseHeader(header, out _, out var following) && parameters.IsSameStreamAs(following))
            {
                return Outcome.Frame;
            }
        }
        else if (followsFrame && (first == (byte)'I' || first == (byte)'T'))
        {
            // A tag after a frame that follows a frame: the end of a file, or a loop point.
            var tag = ExamineTag(next, scratch, out _);
            if (tag == Outcome.Tag || (tag == Outcome.NeedMore && isFinal))
            {
                return Outcome.Frame;
            }

            if (tag == Outcome.NeedMore)
            {
                return Outcome.NeedMore;
            }
        }

        // Fewer bytes than a header left: only more data can tell, or at the end, nothing can.
        if (remaining < format.HeaderSize)
        {
            return isFinal ? Outcome.Frame : Outcome.NeedMore;
        }

        return Outcome.NotHere;
    }

    // Looks for a confirmed frame (a consistent pair of headers) or an ID3v2 tag starting inside a frame.
    // Frame when one is found, NotHere when none, NeedMore when more data could still show one.
    // A pair found inside is itself checked once (nested) the same way: a fake header inside a real frame, whose length
    // happens to reach a real header past some garbage, covers the start of the real frame in between.
    private static Outcome FindFrameInside(SequenceReader<byte> frameStart, int frameLength, IFrameFormat format, bool isFinal, Span<byte> scratch, bool nested = false)
    {
        var rest = frameStart.UnreadSequence;
        var inside = new SequenceReader<byte>(rest.Slice(1, frameLength - 1));
        bool needMore = false;
        while (inside.TryAdvanceToAny(StartBytes, advancePastDelimiter: false))
        {
            var at = new SequenceReader<byte>(rest.Slice(inside.Position));
            var found = IsConfirmedStart(at, format, isFinal, scratch, out int length);
            if (found == Outcome.Frame && length > 0 && !nested)
            {
                found = FindFrameInside(at, length, format, isFinal, scratch, nested: true) switch
                {
                    Outcome.NotHere => Outcome.Frame,
                    Outcome.NeedMore => Outcome.NeedMore,
                    _ => Outcome.NotHere,
                };
            }

            switch (found)
            {
                case Outcome.Frame:
                    return Outcome.Frame;
                case Outcome.NeedMore:
                    needMore = true;
                    break;
            }

            inside.Advance(1);
        }

        return needMore ? Outcome.NeedMore : Outcome.NotHere;
    }

    // length: the frame's, when a confirmed frame (not a tag) starts here.
    private static Outcome IsConfirmedStart(SequenceReader<byte> at, IFrameFormat format, bool isFinal, Span<byte> scratch, out int length)
    {
        length = 0;
        at.TryPeek(out byte first);
        if (first == (byte)'I')
        {
            return ExamineTag(at, scratch, out _) switch
            {
                Outcome.Tag => Outcome.Frame,
                Outcome.NeedMore when !isFinal => Outcome.NeedMore,
                _ => Outcome.NotHere,
            };
        }

        if (at.Remaining < format.HeaderSize)
        {
            return isFinal ? Outcome.NotHere : Outcome.NeedMore;
        }

        Span<byte> header = scratch[..format.HeaderSize];
        at.TryCopyTo(header);
        if (!format.TryParseHeader(header, out int frameLength, out var parameters))
        {
            return Outcome.NotHere;
        }

        if (at.Remaining < frameLength + format.HeaderSize)
        {
            return isFinal ? Outcome.NotHere : Outcome.NeedMore;
        }

        at.Advance(frameLength);
        at.TryCopyTo(header);
        if (!format.TryParseHeader(header, out _, out var following) || !parameters.IsSameStreamAs(following))
        {
            return Outcome.NotHere;
        }

        length = frameLength;
        return Outcome.Frame;
    }

    // ID3v2 ("ID3", version, flags, syncsafe size) or ID3v1 ("TAG" + 125 bytes) at the reader.
    private static Outcome ExamineTag(SequenceReader<byte> reader, Span<byte> scratch, out long length)
    {
        length = 0;
        Span<byte> header = scratch[..(int)Math.Min(reader.Remaining, Id3v2HeaderSize)];
        reader.TryCopyTo(header);
        if (header.IsEmpty)
        {
            return Outcome.NotHere;
        }

        if (header[0] == (byte)'T')
        {
            if (!"TAG"u8.StartsWith(header[..Math.Min(3, header.Length)]))
            {
                return Outcome.NotHere;
            }

            if (header.Length < 3)
            {
                return Outcome.NeedMore;
            }

            length = Id3v1Size;
            return Outcome.Tag;
        }

        if (!IsId3v2Prefix(header))
        {
            return Outcome.NotHere;
        }

        if (header.Length < Id3v2HeaderSize)
        {
            return Outcome.NeedMore;
        }

        int size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9];
        bool footer = (header[5] & 0x10) != 0;
        length = Id3v2HeaderSize + size + (footer ? Id3v2HeaderSize : 0);
        return Outcome.Tag;
    }

    // Checks as much of an ID3v2 header as the span holds.
    private static bool IsId3v2Prefix(ReadOnlySpan<byte> h)
    {
        if (!"ID3"u8.StartsWith(h[..Math.Min(3, h.Length)]))
        {
            return false;
        }

        // Major version 2..4, revision not 0xFF, undefined flag bits clear, size bytes syncsafe.
        if ((h.Length > 3 && (h[3] < 2 || h[3] > 4)) || (h.Length > 4 && h[4] == 0xFF) || (h.Length > 5 && (h[5] & 0x0F) != 0))
        {
            return false;
        }

        for (int i = 6; i < h.Length; i++)
        {
            if (h[i] >= 0x80)
            {
                return false;
            }
        }

        return true;
    }

    private IFrameFormat? ParseAny(ReadOnlySpan<byte> header, out int frameLength, out CodecParameters parameters)
    {
        if (_format is null)
        {
            return FrameFormats.Detect(header, out frameLength, out parameters);
        }

        return _format.TryParseHeader(header, out frameLength, out parameters) ? _format : null;
    }

    // Fewer bytes than a header: could more data still make one, of the stream's format or, while that is unknown, of any?
    private bool CouldBecomeHeader(ReadOnlySpan<byte> partial)
    {
        if (_format is not null)
        {
            return _format.CouldBecomeHeader(partial);
        }

        var formats = FrameFormats.All;
        // Indexed: a foreach over the interface would box an enumerator.
        for (int i = 0; i < formats.Count; i++)
        {
            if (formats[i].CouldBecomeHeader(partial))
            {
                return true;
            }
        }

        return false;
    }
}
