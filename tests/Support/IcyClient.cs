using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Davecast.Icy;

namespace Davecast.Tests.Support;

/// <summary>How an <see cref="IcyClient"/> asks for a mount.</summary>
public sealed record IcyClientOptions
{
    /// <summary>Sends <c>Icy-MetaData: 1</c>: the server interleaves ICY metadata, which the client strips and records.</summary>
    public bool IcyMetadata { get; init; } = true;

    /// <summary>Basic auth, or none.</summary>
    public (string User, string Password)? Credentials { get; init; }

    /// <summary>SO_RCVBUF before connecting (the kernel doubles it), or the system's default.</summary>
    public int? ReceiveBufferSize { get; init; }

    /// <summary>
    /// TCP_MAXSEG before connecting: the MSS this client announces, or the system's default. On loopback the MSS is
    /// about 64 KiB, so the server's kernel sizes its send buffer to the 4 MiB maximum (net.ipv4.tcp_wmem) and absorbs
    /// minutes of audio before a server notices a listener that does not read. With an MSS of 536 it is about 180 KiB,
    /// with 88 (Linux's least) about 120 KiB.
    /// </summary>
    public int? MaxSegmentSize { get; init; }

    /// <summary>Connect and send the request, then never read: a listener that stalls (for slow-listener tests).</summary>
    public bool DoNotRead { get; init; }

    /// <summary>More request headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string UserAgent { get; init; } = "davecast-tests/IcyClient";
}

/// <summary>
/// A listener over a raw socket, as simple players and Icecast relays are: <c>GET /mount HTTP/1.0</c>, optionally
/// with <c>Icy-MetaData: 1</c> and Basic auth. It takes "HTTP/1.x 200" and "ICY 200 OK" status lines, parses the
/// headers, then reads the body; with <c>icy-metaint</c> it strips the metadata blocks (<see cref="IcyDemuxer"/>) and
/// records each StreamTitle with the audio position where it applies. <see cref="Audio"/> is the audio alone, to split
/// into frames (<see cref="FrameContinuity"/>).
/// </summary>
public sealed class IcyClient : IAsyncDisposable, IIcySink
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const int IpProtoTcp = 6;
    private const int TcpMaxSeg = 2;

    private readonly Socket _socket;
    private NetworkStream? _connected;
    private readonly IcyClientOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly MemoryStream _audio = new();
    private readonly List<TitleChange> _titles = [];
    private readonly object _gate = new();
    private IcyDemuxer _demuxer = new(0);
    private byte[] _leftover = [];
    private Task? _reader;

    /// <summary>A StreamTitle received, applying from <paramref name="AudioPosition"/> bytes of audio on.</summary>
    public sealed record TitleChange(string Title, long AudioPosition, TimeSpan At);

    private IcyClient(Socket socket, IcyClientOptions options)
    {
        _socket = socket;
        _options = options;
    }

    private NetworkStream _stream => _connected ?? throw new InvalidOperationException("not connected");

    /// <summary>The server's port.</summary>
    public int Port { get; private set; }

    public string StatusLine { get; private set; } = "";

    /// <summary>"HTTP/1.0", "HTTP/1.1" or "ICY".</summary>
    public string Protocol { get; private set; } = "";

    public int StatusCode { get; private set; }

    /// <summary>Response headers (names case-insensitive; a repeated header keeps its first value).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>();

    /// <summary>The raw header block, for failure messages.</summary>
    public string RawHeaders { get; private set; } = "";

    /// <summary><c>icy-metaint</c>, or 0 when the server interleaves no metadata.</summary>
    public int MetaInt { get; private set; }

    /// <summary>The body of a response other than 200 (what the server says), up to 64 KiB.</summary>
    public string ErrorBody { get; private set; } = "";

    /// <summary>The server closed the connection (or reset it), as far as the client read.</summary>
    public bool Ended { get; private set; }

    /// <summary>Same as <see cref="Ended"/>.</summary>
    public bool Closed => Ended;

    /// <summary>The body of a response other than 200 (<see cref="ErrorBody"/>).</summary>
    public string Body() => ErrorBody;

    /// <summary>Why reading stopped, if by an error (a reset, for example).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Bytes received in all (audio, metadata and headers).</summary>
    public long ReceivedBytes { get; private set; }

    public TimeSpan Elapsed => _clock.Elapsed;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>
    /// Connects to <c>http://host:port/mount</c>. <paramref name="basicAuth"/> is "user:password";
    /// <paramref name="read"/> false is <see cref="IcyClientOptions.DoNotRead"/>.
    /// </summary>
    public static Task<IcyClient> ConnectAsync(int port, string mount, bool icyMetadata, string? basicAuth = null, bool read = true,
        int? receiveBuffer = null, string host = "127.0.0.1")
    {
        (string, string)? credentials = null;
        if (basicAuth is not null)
        {
            int colon = basicAuth.IndexOf(':');
            credentials = colon < 0 ? (basicAuth, "") : (basicAuth[..colon], basicAuth[(colon + 1)..]);
        }
        return ConnectAsync($"http://{host}:{port}/{mount.TrimStart('/')}", new IcyClientOptions
        {
            IcyMetadata = icyMetadata,
            Credentials = credentials,
            DoNotRead = !read,
            ReceiveBufferSize = receiveBuffer,
        });
    }

    /// <summary>Connects to <paramref name="url"/> (http://host:port/mount) and reads the response's headers.</summary>
    public static async Task<IcyClient> ConnectAsync(string url, IcyClientOptions? options = null, TimeSpan? timeout = null)
    {
        options ??= new IcyClientOptions();
        var uri = new Uri(url);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (options.ReceiveBufferSize is { } size) socket.ReceiveBufferSize = size;
        if (options.MaxSegmentSize is { } mss && OperatingSystem.IsLinux())
            socket.SetRawSocketOption(IpProtoTcp, TcpMaxSeg, BitConverter.GetBytes(mss));
        var client = new IcyClient(socket, options) { Port = uri.Port };
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, cts.Token);
            client._connected = new NetworkStream(socket, ownsSocket: true);
            await client.SendRequestAsync(uri, cts.Token);
            if (options.DoNotRead) return client;
            await client.ReadHeadersAsync(cts.Token);
            if (client.StatusCode == 200)
            {
                client.StartBody();
            }
            else
            {
                await client.ReadErrorBodyAsync(cts.Token);
            }
            return client;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            await client.DisposeAsync();
            throw new TimeoutException($"{url}: no response headers within {timeout ?? TimeSpan.FromSeconds(15)}");
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task SendRequestAsync(Uri uri, CancellationToken cancel)
    {
        var request = new StringBuilder();
        request.Append($"GET {uri.PathAndQuery} HTTP/1.0\r\n");
        request.Append($"Host: {uri.Host}:{uri.Port}\r\n");
        request.Append($"User-Agent: {_options.UserAgent}\r\n");
        if (_options.IcyMetadata) request.Append("Icy-MetaData: 1\r\n");
        if (_options.Credentials is { } c)
            request.Append($"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.User}:{c.Password}"))}\r\n");
        foreach (var (name, value) in _options.Headers) request.Append($"{name}: {value}\r\n");
        request.Append("\r\n");
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancel);
    }

    private async Task ReadHeadersAsync(CancellationToken cancel)
    {
        var buffer = new byte[8192];
        var received = new MemoryStream();
        int end;
        while (true)
        {
            int n = await _stream.ReadAsync(buffer, cancel);
            if (n == 0) throw new IOException($"connection closed before the end of the response headers; got: {Encoding.Latin1.GetString(received.ToArray())}");
            received.Write(buffer, 0, n);
            ReceivedBytes += n;
            end = HeaderEnd(received.GetBuffer().AsSpan(0, (int)received.Length), out int separator);
            if (end >= 0)
            {
                var all = received.ToArray();
                RawHeaders = Encoding.Latin1.GetString(all, 0, end);
                _leftover = all[(end + separator)..];
                break;
            }
            if (received.Length > MaxHeaderBytes) throw new IOException($"no end of headers in the first {received.Length} bytes");
        }
        ParseHeaders(RawHeaders);
    }

    /// <summary>Where the header block ends (CRLF CRLF, or LF LF from sloppy servers), or -1.</summary>
    private static int HeaderEnd(ReadOnlySpan<byte> data, out int separator)
    {
        int crlf = data.IndexOf("\r\n\r\n"u8);
        int lf = data.IndexOf("\n\n"u8);
        if (crlf >= 0 && (lf < 0 || crlf < lf))
        {
            separator = 4;
            return crlf;
        }
        separator = 2;
        return lf;
    }

    private void ParseHeaders(string block)
    {
        var lines = block.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        StatusLine = lines[0];
        var parts = StatusLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !(parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[0] == "ICY") || !int.TryParse(parts[1], out int code))
            throw new IOException($"not an HTTP/1.x or ICY status line: '{StatusLine}'");
        Protocol = parts[0];
        StatusCode = code;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            headers.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        Headers = headers;
        MetaInt = headers.TryGetValue("icy-metaint", out var metaint) && int.TryParse(metaint, out int m) ? m : 0;
        if (MetaInt > 0 && !_options.IcyMetadata)
            throw new IOException($"icy-metaint {MetaInt} without Icy-MetaData: 1 in the request");
    }

    private void StartBody()
    {
        _demuxer = new IcyDemuxer(MetaInt);
        lock (_gate) _demuxer.Feed(_leftover, this);
        _leftover = [];
        _reader = Task.Run(ReadBodyAsync);
    }

    private async Task ReadBodyAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                lock (_gate)
                {
                    ReceivedBytes += n;
                    _demuxer.Feed(buffer.AsSpan(0, n), this);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            if (_stop.IsCancellationRequested) return;
            Error = e;
        }
        Ended = true;
    }

    private async Task ReadErrorBodyAsync(CancellationToken cancel)
    {
        var body = new MemoryStream();
        body.Write(_leftover);
        var buffer = new byte[8192];
        try
        {
            while (body.Length < 64 * 1024)
            {
                int n = await _stream.ReadAsync(buffer, cancel);
                if (n == 0) break;
                body.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }
        ErrorBody = Encoding.UTF8.GetString(body.ToArray());
        Ended = true;
    }

    void IIcySink.Audio(ReadOnlySpan<byte> audio) => _audio.Write(audio);

    void IIcySink.Metadata(ReadOnlySpan<byte> text, long audioPosition)
    {
        if (IcyMetadata.TryReadTitle(text, out var title)) _titles.Add(new TitleChange(title, audioPosition, _clock.Elapsed));
    }

    /// <summary>The audio received so far, metadata removed.</summary>
    public byte[] Audio()
    {
        lock (_gate) return _audio.ToArray();
    }

    public long AudioLength
    {
        get
        {
            lock (_gate) return _audio.Length;
        }
    }

    /// <summary>Titles received so far, in order.</summary>
    public IReadOnlyList<TitleChange> Titles
    {
        get
        {
            lock (_gate) return [.. _titles];
        }
    }

    /// <summary>Metadata blocks seen so far (empty ones included).</summary>
    public long MetadataBlocks
    {
        get
        {
            lock (_gate) return _demuxer.Blocks;
        }
    }

    /// <summary>Waits until a title is received; false if not within <paramref name="timeout"/>.</summary>
    public async Task<bool> TryWaitForTitleAsync(string title, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Titles.Any(t => t.Title == title)) return true;
            if (Ended) return Titles.Any(t => t.Title == title);
            await Task.Delay(20);
        }
        return false;
    }

    /// <summary>Waits until a title is received; throws (with the titles heard) if not within <paramref name="timeout"/>.</summary>
    public async Task WaitForTitleAsync(string title, TimeSpan timeout)
    {
        if (!await TryWaitForTitleAsync(title, timeout))
            throw new TimeoutException($"title '{title}' not heard within {timeout}; heard: {string.Join(" | ", Titles.Select(t => t.Title))}");
    }

    /// <summary>For a reading client: waits until the server closes the connection; false if it is still open.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        if (_reader is null) throw new InvalidOperationException("a client that does not read cannot see the close");
        await Task.WhenAny(_reader, Task.Delay(timeout));
        return _reader.IsCompleted && Ended;
    }

    /// <summary>
    /// For a <see cref="IcyClientOptions.DoNotRead"/> client: reads everything the server sent, and returns true
    /// when the server closed (or reset) the connection within <paramref name="timeout"/>; false when data keeps
    /// flowing (the server still serves this listener). What was read is in <see cref="DrainedBytes"/>.
    /// </summary>
    public async Task<bool> DrainUntilClosedAsync(TimeSpan timeout)
    {
        if (!_options.DoNotRead) throw new InvalidOperationException("only for a client in do-not-read mode");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        cts.CancelAfter(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(buffer, cts.Token);
                if (n == 0) return Ended = true;
                DrainedBytes += n;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Error = e;
            return Ended = true;
        }
    }

    /// <summary><see cref="DrainUntilClosedAsync"/> with 10 s by default.</summary>
    public Task<bool> IsResetAsync(TimeSpan? timeout = null) => DrainUntilClosedAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>Bytes read by <see cref="DrainUntilClosedAsync"/>.</summary>
    public long DrainedBytes { get; private set; }

    public override string ToString() =>
        $"{StatusLine}; {ReceivedBytes} bytes received, {AudioLength} of audio, {Titles.Count} titles"
        + (Ended ? $", ended{(Error is null ? "" : $" ({Error.Message})")}" : "");

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        if (_connected is null) _socket.Dispose();
        else _connected.Dispose();
        if (_reader is not null) await _reader;
        _stop.Dispose();
    }
}
