using System.Buffers;
using Davecast.Frames;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Yields the codec frames of a programme, in order. A source does no pacing: the pacer asks for the
/// next frame when it is due. Live sources (an Icecast mount pulled, source clients pushing) wait for their
/// frames, across reconnects, and never end by themselves.
/// </summary>
public interface IFrameSource : IAsyncDisposable
{
    /// <summary>For logs: "file programme.aac", "stdin"...</summary>
    string Name { get; }

    /// <summary>
    /// The icy-* headers the source learned (icy-name, icy-genre...: from an upstream's answer or a source client's
    /// request); empty for files and stdin. Valid after the first successful <see cref="ReadAsync"/>; a source
    /// that learns other headers (after a reconnect) replaces the list, so a changed reference means a change.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, string>> IcyHeaders { get; }

    /// <summary>Copies the next frame into <paramref name="frame"/>; false when the source has ended.</summary>
    ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken);
}

/// <summary>A reusable holder for one frame: its buffer grows as needed and is never given up.</summary>
public sealed class SourceFrame
{
    private byte[] _buffer = new byte[2048];

    public int Length { get; private set; }

    public CodecParameters Parameters { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>A stream title that takes effect at this frame; null: no change.</summary>
    public string? Title { get; private set; }

    public void Set(in ReadOnlySequence<byte> data, in CodecParameters parameters, string? title = null)
    {
        Reserve((int)data.Length);
        data.CopyTo(_buffer);
        Length = (int)data.Length;
        Parameters = parameters;
        Title = title;
    }

    public void Set(ReadOnlySpan<byte> data, in CodecParameters parameters, string? title = null)
    {
        Reserve(data.Length);
        data.CopyTo(_buffer);
        Length = data.Length;
        Parameters = parameters;
        Title = title;
    }

    private void Reserve(int length)
    {
        if (length > _buffer.Length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
    }
}
