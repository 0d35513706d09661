using System.Buffers;
using Davecast.Frames;

namespace Davecast.Publisher.Sources;

/// <summary>
/// The audio of one connection to a live source, cut into frames as it arrives. Positions count the connection's
/// audio bytes from its start: a title found at position P takes effect at the first frame that starts at or after P,
/// so every publisher given the same bytes puts the same titles on the same frames.
/// </summary>
public sealed class ConnectionAudio
{
    /// <summary>A connection that sends this many bytes without one frame in them is not sending audio.</summary>
    public const int MaxBytesWithoutFrame = 256 * 1024;

    private readonly FrameSplitter _splitter;
    private readonly Queue<(long Position, string Title)> _titles = new();
    private byte[] _buffer = new byte[32 * 1024];
    private int _start;
    private int _end;
    private long _position; // audio bytes before _buffer[_start]
    private string? _lastTitle;

    /// <param name="codec">The codec to cut, or Unknown to detect it from the frames.</param>
    /// <param name="previous">
    /// The connection before this one: titles it found after its last frame take effect at this one's first, and a
    /// title is passed on only when it differs from the last one passed on, across connections.
    /// </param>
    public ConnectionAudio(CodecKind codec, ConnectionAudio? previous = null)
    {
        _splitter = new FrameSplitter(codec);
        if (previous is null) return;
        _lastTitle = previous._lastTitle;
        foreach (var (_, title) in previous._titles) AddTitle(long.MinValue, title);
    }

    /// <summary>The codec given, or detected from the first frame.</summary>
    public CodecKind Codec => _splitter.Codec;

    /// <summary>Frames cut so far.</summary>
    public long Frames => _splitter.FrameCount;

    /// <summary>Audio bytes received so far.</summary>
    public long Received => _position + (_end - _start);

    /// <summary>So many bytes have come without a frame in them that the connection is not sending audio of the codec.</summary>
    public bool IsNotAudio => Frames == 0 && Received > MaxBytesWithoutFrame;

    /// <summary>Room for at least <paramref name="size"/> more bytes; <see cref="Commit"/> what was written there.</summary>
    public Memory<byte> GetSpace(int size)
    {
        if (_buffer.Length - _end >= size) return _buffer.AsMemory(_end);
        int held = _end - _start;
        var target = held + size <= _buffer.Length ? _buffer : new byte[Math.Max(_buffer.Length * 2, held + size)];
        Array.Copy(_buffer, _start, target, 0, held);
        _buffer = target;
        _start = 0;
        _end = held;
        return _buffer.AsMemory(_end);
    }

    public void Commit(int count) => _end += count;

    public void Append(ReadOnlySpan<byte> audio)
    {
        audio.CopyTo(GetSpace(audio.Length).Span);
        Commit(audio.Length);
    }

    /// <summary>A title that takes effect at the first frame starting at or after audio position <paramref name="position"/>.</summary>
    public void AddTitle(long position, string title) => _titles.Enqueue((position, title));

    /// <summary>
    /// Cuts the next frame into <paramref name="frame"/>, with the title that takes effect at it (the last of those
    /// found before it, if it differs from the last title passed on). False when more bytes are needed.
    /// </summary>
    /// <param name="final">No more bytes will come: a complete frame at the end is cut too.</param>
    public bool TryReadFrame(SourceFrame frame, bool final)
    {
        var all = new ReadOnlySequence<byte>(_buffer, _start, _end - _start);
        var rest = all;
        bool found = _splitter.TryReadFrame(ref rest, final, out var data, out var parameters);
        string? title = null;
        if (found)
        {
            long frameStart = _position + (all.Length - rest.Length - data.Length);
            while (_titles.TryPeek(out var next) && next.Position <= frameStart)
            {
                title = _titles.Dequeue().Title;
            }
            if (title is not null)
            {
                if (title == _lastTitle) title = null;
                else _lastTitle = title;
            }
            frame.Set(data, parameters, title);
        }
        int consumed = (int)(all.Length - rest.Length);
        _start += consumed;
        _position += consumed;
        if (_start == _end) _start = _end = 0;
        return found;
    }
}
