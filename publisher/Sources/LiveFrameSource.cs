using Davecast.Frames;
using Davecast.Http;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// What the live sources (an upstream pulled, source clients pushing) share. They never end by themselves: they wait
/// for the next connection. The first frame of the first connection fixes the session's codec parameters; a later
/// connection whose frames differ is dropped, since the relays could not splice them (restart the publisher to
/// change codec).
/// </summary>
/// <param name="codec">--codec: frames of this codec only, or Unknown to detect it from the frames.</param>
public abstract class LiveFrameSource(CodecKind codec, ILogger logger) : IFrameSource
{
    /// <summary>A connection that sends nothing for this long is dropped (as Icecast's source-timeout).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Longest title, in UTF-8 bytes, that a Metadata packet carries; longer ones are cut.</summary>
    public const int MaxTitleBytes = 4096;

    private CodecParameters? _session;
    private string? _mismatch; // the Content-Type disagreement last logged

    protected ILogger Logger { get; } = logger;

    protected CodecKind Codec { get; } = codec;

    public abstract string Name { get; }

    public IReadOnlyList<KeyValuePair<string, string>> IcyHeaders { get; private set; } = [];

    public abstract ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>Takes a connection's station headers; the list is replaced only when they differ.</summary>
    protected void LearnHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (!headers.SequenceEqual(IcyHeaders)) IcyHeaders = headers;
    }

    /// <summary>
    /// Checks the first frame of a connection against its Content-Type (a disagreement is logged, and the frames
    /// win) and against the session's parameters. Null when the connection may go on, else the reason why not.
    /// </summary>
    protected string? CheckFirstFrame(in CodecParameters parameters, string? contentType, string origin)
    {
        var declared = ContentTypes.CodecOf(contentType);
        var mismatch = declared != CodecKind.Unknown && declared != parameters.Codec ? $"{origin} {contentType} {parameters.Codec}" : null;
        if (mismatch is not null && mismatch != _mismatch)
        {
            Logger.LogError("{Origin} declares Content-Type {ContentType} but sends {Parameters}; going by the frames",
                origin, contentType, parameters);
        }
        _mismatch = mismatch;
        if (_session is not { } session)
        {
            _session = parameters;
            return null;
        }
        return session.IsSpliceCompatibleWith(parameters)
            ? null
            : $"its frames are {parameters}, but this session's are {session}; relays cannot splice the two, restart the publisher to change codec";
    }

    /// <summary>Why a connection sending no frames is dropped.</summary>
    protected string NoFramesReason() =>
        $"{ConnectionAudio.MaxBytesWithoutFrame} bytes without a {(Codec == CodecKind.Unknown ? "AAC (ADTS) or MPEG audio" : Codec.ToString())} frame";

    /// <summary>Reads a connection's stream; a read that gets nothing for <see cref="IdleTimeout"/> throws <see cref="TimeoutException"/>.</summary>
    protected sealed class IdleTimeoutReader(Stream stream, CancellationToken cancellationToken) : IDisposable
    {
        private readonly CancellationTokenSource _idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        public async ValueTask<int> ReadAsync(Memory<byte> buffer)
        {
            _idle.CancelAfter(IdleTimeout);
            try
            {
                return await stream.ReadAsync(buffer, _idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"nothing received for {IdleTimeout.TotalSeconds:0} s");
            }
            finally
            {
                _idle.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }

        public void Dispose() => _idle.Dispose();
    }
}
