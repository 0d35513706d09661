namespace Davecast.Publisher.Sources;

/// <summary>
/// A source client accepted on the source port: its request body, from the first byte after the head, decoded from
/// chunked transfer coding if it came so, into the audio of its connection. Its connection stays open until it is
/// disposed.
/// </summary>
public sealed class SourceClient(Stream body, string name, string? contentType, IReadOnlyList<KeyValuePair<string, string>> station, bool chunked)
    : IDisposable
{
    private readonly ChunkedDecoder? _chunks = chunked ? new ChunkedDecoder() : null;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;

    /// <summary>The Content-Type it declared, if any.</summary>
    public string? ContentType => contentType;

    /// <summary>Its station headers (<see cref="StationInfo.FromHeaders"/>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Station => station;

    /// <summary>The request body, as the client sends it.</summary>
    public Stream Body => body;

    public ConnectionAudio Audio { get; private set; } = null!;

    /// <summary>The body is over: the client closed it or sent the last chunk.</summary>
    public bool Ended { get; private set; }

    /// <summary>Completes when the client is disposed: its connection may close.</summary>
    public Task Closed => _closed.Task;

    public void Start(ConnectionAudio audio) => Audio = audio;

    /// <summary>
    /// Takes bytes of the body just read into <see cref="ConnectionAudio.GetSpace"/>; none means the body is over.
    /// Throws <see cref="InvalidDataException"/> when the chunked coding is broken.
    /// </summary>
    public void Received(Span<byte> received)
    {
        if (received.IsEmpty)
        {
            Ended = true;
            return;
        }
        Audio.Commit(_chunks is null ? received.Length : _chunks.Decode(received));
        if (_chunks is { IsDone: true }) Ended = true;
    }

    public void Dispose() => _closed.TrySetResult();
}
