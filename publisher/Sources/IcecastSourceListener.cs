using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Text;
using System.Threading.Channels;
using Davecast.Frames;
using Davecast.Icy;
using Davecast.Wire;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Frames pushed by Icecast source clients (ffmpeg, Liquidsoap, BUTT, DarkIce), answered as Icecast 2.4 answers them:
/// <c>PUT /mount</c> (with <c>Expect: 100-continue</c>) or the legacy <c>SOURCE /mount</c>, with HTTP basic
/// authentication, one source at a time. The request's ice-*/icy-* headers become the station's, and
/// <c>GET /admin/metadata?mode=updinfo</c> sets the title from the next frame on. When the source client goes, the
/// frames wait for the next one, in the same session.
/// </summary>
public sealed class IcecastSourceListener : LiveFrameSource
{
    /// <summary>How long a client may take to send its request head.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Largest request head; a larger one is refused with 431.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>Connections whose request is being read at once; more are closed at once.</summary>
    public const int MaxHandshakes = 32;

    private const string Realm = "Basic realm=\"Icecast2 Server\"";

    private readonly Socket _listener;
    private readonly string _mount;
    private readonly Credentials _source;
    private readonly Credentials? _admin;
    private readonly Channel<SourceClient> _accepted = Channel.CreateUnbounded<SourceClient>();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _handshakes = new(MaxHandshakes);
    private readonly Lock _gate = new();
    private readonly Task _acceptLoop;
    private int _busy; // 1 from a source client's acceptance until it is dropped
    private string? _nextTitle;
    private string? _refusal; // the refusal last logged
    private SourceClient? _client;
    private ConnectionAudio? _audio;

    private IcecastSourceListener(Socket listener, string mount, Credentials source, Credentials? admin, CodecKind codec, ILogger logger)
        : base(codec, logger)
    {
        _listener = listener;
        _mount = mount;
        _source = source;
        _admin = admin;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Listens at <paramref name="endpoint"/>; throws <see cref="SocketException"/> when it cannot.</summary>
    /// <param name="mount">The mount source clients must name, normalised (<see cref="MountName.Normalize"/>).</param>
    /// <param name="admin">A second login that may update titles, or null.</param>
    public static IcecastSourceListener Start(
        IPEndPoint endpoint, string mount, Credentials source, Credentials? admin, CodecKind codec, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        logger.LogInformation("Waiting for an Icecast source client of /{Mount} on {Endpoint}", mount, socket.LocalEndPoint);
        return new IcecastSourceListener(socket, mount, source, admin, codec, logger);
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public override string Name => $"source clients at {LocalEndPoint}";

    public override async ValueTask<bool> ReadAsync(SourceFrame frame, CancellationToken cancellationToken)
    {
        while (true)
        {
            var client = _client ??= await NextClientAsync(cancellationToken);
            if (Interlocked.Exchange(ref _nextTitle, null) is { } title) client.Audio.AddTitle(long.MinValue, title);
            if (client.Audio.TryReadFrame(frame, client.Ended))
            {
                if (client.Audio.Frames > 1) return true;
                if (CheckFirstFrame(frame.Parameters, client.ContentType, client.Name) is { } refusal)
                {
                    Drop(LogLevel.Error, refusal);
                    continue;
                }
                LearnHeaders(client.Station);
                Logger.LogInformation("{Client} sends {Parameters}; headers {Headers}", client.Name, frame.Parameters, StationInfo.Describe(client.Station));
                return true;
            }
            if (client.Ended)
            {
                Drop(LogLevel.Information, "it ended the stream");
                continue;
            }
            if (client.Audio.IsNotAudio)
            {
                Drop(LogLevel.Warning, NoFramesReason());
                continue;
            }
            try
            {
                await client.ReceiveAsync();
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or InvalidDataException)
            {
                Drop(LogLevel.Warning, e.Message);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop;
        _client?.Dispose();
        _client = null;
        _accepted.Writer.TryComplete();
        while (_accepted.Reader.TryRead(out var waiting)) waiting.Dispose();
    }

    private async Task<SourceClient> NextClientAsync(CancellationToken cancellationToken)
    {
        var client = await _accepted.Reader.ReadAsync(cancellationToken);
        _audio = new ConnectionAudio(Codec, _audio);
        client.Start(_audio, cancellationToken);
        return client;
    }

    private void Drop(LogLevel level, string reason)
    {
        var client = _client!;
        _client = null;
        client.Dispose();
        Logger.Log(level, "{Client} is gone after {Frames} frames: {Reason}; waiting for the next source client", client.Name, client.Audio.Frames, reason);
        Volatile.Write(ref _busy, 0);
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of file descriptors, for example: let it pass rather than spin.
                Logger.LogDebug("Accepting a connection failed: {Error}", e.Message);
                await Task.Delay(100);
                continue;
            }
            if (!_handshakes.Wait(0))
            {
                Logger.LogDebug("Closing a connection from {Remote}: {Count} requests are being read already", socket.RemoteEndPoint, MaxHandshakes);
                socket.Dispose();
                continue;
            }
            _ = HandleAsync(socket);
        }
    }

    // Reads one request and answers it; a source client accepted is handed to ReadAsync.
    private async Task HandleAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "unknown";
        bool handedOver = false;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(HandshakeTimeout);
            var buffer = new byte[MaxHeadBytes];
            int length = 0, end;
            while ((end = IcecastRequest.FindEnd(buffer.AsSpan(0, length))) < 0)
            {
                if (length == buffer.Length)
                {
                    await RefuseAsync(socket, remote, 431, "Request Header Fields Too Large", $"the request head is over {MaxHeadBytes} bytes", timeout.Token);
                    return;
                }
                int n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token);
                if (n == 0) return;
                length += n;
            }
            if (!IcecastRequest.TryParse(buffer.AsSpan(0, end), out var request, out var error))
            {
                await RefuseAsync(socket, remote, 400, "Bad Request", error, timeout.Token);
                return;
            }
            switch (request!.Method)
            {
                case "PUT" or "SOURCE":
                    handedOver = await AcceptSourceAsync(socket, remote, request, buffer.AsMemory(end, length - end), timeout.Token);
                    break;
                case "GET" when request.Path is "/admin/metadata" or "/admin/metadata.xsl":
                    await UpdateMetadataAsync(socket, remote, request, timeout.Token);
                    break;
                case "GET":
                    await RefuseAsync(socket, remote, 404, "Not Found",
                        $"{request.Path} is not here: this is a publisher's source port (PUT or SOURCE /{_mount}, GET /admin/metadata); listen at an edge", timeout.Token);
                    break;
                default:
                    await RefuseAsync(socket, remote, 405, "Method Not Allowed", $"{request.Method} is not a source client's method (PUT or SOURCE)", timeout.Token);
                    break;
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            Logger.LogDebug("{Remote} sent no whole request within {Seconds} s", remote, HandshakeTimeout.TotalSeconds);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            Logger.LogDebug("Connection from {Remote} failed: {Error}", remote, e.Message);
        }
        finally
        {
            if (!handedOver) await CloseAsync(socket);
            _handshakes.Release();
        }
    }

    // Checks a PUT or SOURCE request as Icecast does and, if it may stream, answers 200 and hands it over.
    private async Task<bool> AcceptSourceAsync(Socket socket, string remote, IcecastRequest request, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!request.LogsInAs(_source))
        {
            await RefuseAsync(socket, remote, 401, "Authentication Required", "You need to authenticate", cancellationToken, $"WWW-Authenticate: {Realm}\r\n");
            return false;
        }
        string mount;
        try
        {
            mount = MountName.Normalize(request.Path);
        }
        catch (ArgumentException e)
        {
            await RefuseAsync(socket, remote, 400, "Bad Request", e.Message, cancellationToken);
            return false;
        }
        if (mount != _mount)
        {
            await RefuseAsync(socket, remote, 404, "Not Found", $"Mount /{mount} is not served here: this publisher takes sources for /{_mount}", cancellationToken);
            return false;
        }
        var encoding = request.Header("Transfer-Encoding");
        bool chunked = encoding is not null && encoding.Equals("chunked", StringComparison.OrdinalIgnoreCase);
        if (encoding is not null && !chunked && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(socket, remote, 501, "Not Implemented", $"Transfer-Encoding {encoding} is not supported", cancellationToken);
            return false;
        }
        var contentType = request.Header("Content-Type");
        if (contentType is not null && IcyMetadata.CodecOf(contentType) == CodecKind.Unknown)
        {
            await RefuseAsync(socket, remote, 415, "Unsupported Media Type",
                $"Content-Type {contentType} is not supported: send audio/aac, audio/aacp (AAC in ADTS) or audio/mpeg (MP3)", cancellationToken);
            return false;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            await RefuseAsync(socket, remote, 403, "Forbidden", "Mountpoint in use", cancellationToken);
            return false;
        }
        try
        {
            var expect = request.Header("Expect");
            if (expect is not null && expect.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
                await socket.SendAsync("HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), SocketFlags.None, cancellationToken);
            await socket.SendAsync("HTTP/1.0 200 OK\r\n\r\n"u8.ToArray(), SocketFlags.None, cancellationToken);
        }
        catch
        {
            Volatile.Write(ref _busy, 0);
            throw;
        }
        var name = $"source client {remote}";
        Logger.LogInformation("{Client} ({Agent}) connected: {Method} /{Mount} {Version}, Content-Type {ContentType}{Chunked}",
            name, request.Header("User-Agent") ?? "no User-Agent", request.Method, mount, request.Version, contentType ?? "none (detected from the frames)",
            chunked ? ", chunked" : "");
        lock (_gate) _refusal = null;
        var client = new SourceClient(socket, name, contentType, StationInfo.FromHeaders(request.Headers), body.ToArray(), chunked);
        if (_accepted.Writer.TryWrite(client)) return true;
        // Stopping.
        client.Dispose();
        return true;
    }

    // GET /admin/metadata?mode=updinfo&mount=/mount&song=Title[&charset=...], with the source or the admin login.
    private async Task UpdateMetadataAsync(Socket socket, string remote, IcecastRequest request, CancellationToken cancellationToken)
    {
        if (!request.LogsInAs(_source) && !(_admin is not null && request.LogsInAs(_admin)))
        {
            await RefuseAsync(socket, remote, 401, "Authentication Required", "You need to authenticate", cancellationToken, $"WWW-Authenticate: {Realm}\r\n");
            return;
        }
        var mode = request.QueryText("mode");
        var mount = request.QueryText("mount");
        var song = request.QueryBytes("song");
        var charset = request.QueryText("charset");
        string? error = mode != "updinfo" ? $"mode must be updinfo, not '{mode}'"
            : mount is null || !IsThisMount(mount) ? $"Source does not exist: this publisher takes /{_mount}, not '{mount}'"
            : song is null ? "No song given"
            : null;
        string title = "";
        if (error is null && !TryDecode(song!, charset, out title)) error = $"charset {charset} is not supported: give UTF-8 or ISO-8859-1";
        if (error is not null)
        {
            await RespondAsync(socket, 400, "Bad Request", "text/xml; charset=utf-8", IceResponse(error, 0), cancellationToken);
            return;
        }
        title = StationInfo.CutToBytes(title, MaxTitleBytes);
        Interlocked.Exchange(ref _nextTitle, title);
        Logger.LogInformation("{Remote} sets the title from the next frame on: {Title}", remote, title);
        await RespondAsync(socket, 200, "OK", "text/xml; charset=utf-8", IceResponse("Metadata update successful", 1), cancellationToken);
    }

    private bool IsThisMount(string mount)
    {
        try
        {
            return MountName.Normalize(mount) == _mount;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // Without a charset, text that is valid UTF-8 is UTF-8 and anything else Latin-1.
    private static bool TryDecode(byte[] song, string? charset, out string title)
    {
        title = "";
        switch (charset?.Trim().ToUpperInvariant())
        {
            case null or "":
                title = IcecastRequest.Decode(song);
                return true;
            case "UTF-8" or "UTF8":
                title = Encoding.UTF8.GetString(song);
                return true;
            case "ISO-8859-1" or "ISO8859-1" or "LATIN1" or "LATIN-1":
                title = Encoding.Latin1.GetString(song);
                return true;
            default:
                return false;
        }
    }

    private static string IceResponse(string message, int result) =>
        $"<?xml version=\"1.0\"?>\n<iceresponse><message>{SecurityElement.Escape(message)}</message><return>{result}</return></iceresponse>\n";

    // Answers with an error, logged once while the same refusals repeat (an encoder retrying with a wrong password).
    private async Task RefuseAsync(
        Socket socket, string remote, int status, string reason, string message, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var refusal = $"{status} {message}";
        bool repeated;
        lock (_gate)
        {
            repeated = refusal == _refusal;
            _refusal = refusal;
        }
        Logger.Log(repeated ? LogLevel.Debug : LogLevel.Warning, "Refusing {Remote}: {Status} {Message}", remote, status, message);
        await RespondAsync(socket, status, reason, "text/plain; charset=utf-8", message + "\r\n", cancellationToken, extraHeaders);
    }

    private static async Task RespondAsync(
        Socket socket, int status, string reason, string contentType, string body, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.0 {status} {reason}\r\nServer: davecast-publisher\r\nConnection: Close\r\nContent-Type: {contentType}\r\n{extraHeaders}"
            + $"Cache-Control: no-cache, no-store\r\nContent-Length: {content.Length}\r\n\r\n");
        await socket.SendAsync(Encoding.ASCII.GetBytes(head).Concat(content).ToArray(), SocketFlags.None, cancellationToken);
    }

    // Closes after the answer has left: the client's unread bytes are drained for a moment, so that closing does
    // not reset the connection before the client reads the answer.
    private static async Task CloseAsync(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var drain = new byte[4096];
            for (int total = 0; total < 64 * 1024; )
            {
                int n = await socket.ReceiveAsync(drain, SocketFlags.None, linger.Token);
                if (n == 0) break;
                total += n;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    // A source client accepted: its connection, from the first byte of its body.
    private sealed class SourceClient(Socket socket, string name, string? contentType, IReadOnlyList<KeyValuePair<string, string>> station, byte[] body, bool chunked)
        : IDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);
        private readonly ChunkedDecoder? _chunks = chunked ? new ChunkedDecoder() : null;
        private IdleTimeoutReader? _reader;

        public string Name => name;
        public string? ContentType => contentType;
        public IReadOnlyList<KeyValuePair<string, string>> Station => station;
        public ConnectionAudio Audio { get; private set; } = null!;
        public bool Ended { get; private set; }

        public void Start(ConnectionAudio audio, CancellationToken cancellationToken)
        {
            Audio = audio;
            _reader = new IdleTimeoutReader(_stream, cancellationToken);
            var space = audio.GetSpace(body.Length);
            body.CopyTo(space);
            Take(space.Span[..body.Length]);
        }

        public async ValueTask ReceiveAsync()
        {
            var space = Audio.GetSpace(16 * 1024);
            int n = await _reader!.ReadAsync(space);
            if (n == 0) Ended = true;
            else Take(space.Span[..n]);
        }

        public void Dispose()
        {
            _reader?.Dispose();
            _stream.Dispose();
        }

        private void Take(Span<byte> received)
        {
            int n = _chunks is null ? received.Length : _chunks.Decode(received);
            Audio.Commit(n);
            if (_chunks is { IsDone: true }) Ended = true;
        }
    }
}
