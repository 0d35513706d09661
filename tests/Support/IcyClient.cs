using System.Net.Sockets;
using System.Text;
using Davecast.Icy;

namespace Davecast.Tests.Support;

/// <summary>
/// A listener on a raw socket, as old players and Icecast's relay client are: <c>GET /mount HTTP/1.0</c>, optionally
/// with <c>Icy-MetaData: 1</c> and basic auth. Reads the status line and headers, then the body; with icy-metaint,
/// the metadata blocks are stripped and each title is kept with the audio position it came at. In "do not read"
/// mode it sends the request and then never reads, as a stalled player does.
/// </summary>
public sealed class IcyClient : IAsyncDisposable, IIcySink
{
    private readonly TcpClient _tcp;
    private readonly MemoryStream _audio = new();
    private readonly MemoryStream _body = new();
    private readonly List<(string Title, long At)> _titles = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _reading;

    private IcyClient(TcpClient tcp, int port)
    {
        _tcp = tcp;
        Port = port;
    }

    public int Port { get; }

    public string StatusLine { get; private set; } = "";

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Set once the server closed the connection (or reset it).</summary>
    public bool Closed { get; private set; }

    public IReadOnlyList<(string Title, long At)> Titles
    {
        get
        {
            lock (_titles) return [.. _titles];
        }
    }

    /// <param name="read">False: send the request and never read anything (a stalled listener).</param>
    /// <param name="receiveBuffer">Socket receive buffer, set before connecting (small: the server's sends block sooner).</param>
    public static async Task<IcyClient> ConnectAsync(
        int port, string mount, bool icyMetadata, string? basicAuth = null, bool read = true, int? receiveBuffer = null, string host = "127.0.0.1")
    {
        var tcp = new TcpClient();
        if (receiveBuffer is { } size) tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync(host, port);
        var client = new IcyClient(tcp, port);
        var request = new StringBuilder($"GET /{mount.TrimStart('/')} HTTP/1.0\r\nHost: {host}:{port}\r\nUser-Agent: davecast-tests\r\n");
        if (icyMetadata) request.Append("Icy-MetaData: 1\r\n");
        if (basicAuth is not null) request.Append($"Authorization: Basic {Convert.ToBase64String(Encoding.UTF8.GetBytes(basicAuth))}\r\n");
        request.Append("\r\n");
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        if (!read) return client;
        var rest = await client.ReadHeadAsync(stream);
        client._reading = client.ReadBodyAsync(stream, rest);
        return client;
    }

    private async Task<byte[]> ReadHeadAsync(NetworkStream stream)
    {
        var head = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            int n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) throw new IOException($"connection closed before the response head ({head.Length} bytes)");
            head.Write(buffer, 0, n);
            var bytes = head.GetBuffer().AsSpan(0, (int)head.Length);
            int end = bytes.IndexOf("\r\n\r\n"u8);
            if (end < 0) continue;
            var lines = Encoding.Latin1.GetString(bytes[..end]).Split("\r\n");
            StatusLine = lines[0];
            foreach (var line in lines.Skip(1))
            {
                int colon = line.IndexOf(':');
                if (colon > 0) Headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            return bytes[(end + 4)..].ToArray();
        }
    }

    private async Task ReadBodyAsync(NetworkStream stream, byte[] first)
    {
        int interval = Headers.TryGetValue("icy-metaint", out var m) && int.TryParse(m, out int i) ? i : 0;
        var demux = new IcyDemuxer(interval);
        bool ok = StatusLine.Contains(" 200 ");
        void Feed(ReadOnlySpan<byte> data)
        {
            lock (_audio)
            {
                if (ok) demux.Feed(data, this);
                else _body.Write(data);
            }
        }
        Feed(first);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                Feed(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        Closed = !_stop.IsCancellationRequested;
    }

    void IIcySink.Audio(ReadOnlySpan<byte> audio) => _audio.Write(audio);

    void IIcySink.Metadata(ReadOnlySpan<byte> text, long audioPosition)
    {
        if (!IcyMetadata.TryReadTitle(text, out var title)) return;
        lock (_titles) _titles.Add((title, audioPosition));
    }

    /// <summary>The audio received so far, without metadata.</summary>
    public byte[] Audio()
    {
        lock (_audio) return _audio.ToArray();
    }

    /// <summary>The body of a response that is not 200, as text.</summary>
    public string Body()
    {
        lock (_audio) return Encoding.UTF8.GetString(_body.ToArray());
    }

    public async Task WaitForTitleAsync(string title, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Titles.Any(t => t.Title == title))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"title '{title}' not heard within {timeout}; heard: {string.Join(" | ", Titles.Select(t => t.Title))}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the server closes the connection; false if it is still open after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        if (_reading is null) throw new InvalidOperationException("a client that does not read cannot see the close");
        await Task.WhenAny(_reading, Task.Delay(timeout));
        return _reading.IsCompleted && Closed;
    }

    /// <summary>
    /// For a client that did not read: reads what is left until the server's close or reset; true if the connection
    /// ends within <paramref name="timeout"/> (10 s by default), false if it is still open.
    /// </summary>
    public async Task<bool> IsResetAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        try
        {
            while (await _tcp.GetStream().ReadAsync(buffer, limit.Token) > 0)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        _tcp.Dispose();
        if (_reading is not null) await _reading;
        _stop.Dispose();
    }
}
