using System.Buffers;
using Davecast.Frames;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Yields the codec frames of a programme, in order. A source does no pacing: the pacer asks for the
/// next frame when it is due. Later sources (Icecast pull, source-client push) implement the same.
/// </summary>
public interface IFrameSource : IAsyncDisposable
{
    /// <summary>For logs: "file programme.aac", "stdin"...</summary>
    string Name { get; }

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

    public void Set(in ReadOnlySequence<byte> data, in CodecParameters parameters)
    {
        Reserve((int)data.Length);
        data.CopyTo(_buffer);
        Length = (int)data.Length;
        Parameters = parameters;
    }

    public void Set(ReadOnlySpan<byte> data, in CodecParameters parameters)
    {
        Reserve(data.Length);
        data.CopyTo(_buffer);
        Length = data.Length;
        Parameters = parameters;
    }

    private void Reserve(int length)
    {
        if (length > _buffer.Length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
    }
}
