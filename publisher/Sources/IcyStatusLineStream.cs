using System.Net.Sockets;

namespace Davecast.Publisher.Sources;

/// <summary>
/// A connection to an HTTP server that reads an old Shoutcast server's status line <c>ICY 200 OK</c> as
/// <c>HTTP/1.0 200 OK</c>, so that HttpClient parses the answer; everything else passes unchanged.
/// </summary>
public sealed class IcyStatusLineStream(Stream inner) : Stream
{
    private static readonly byte[] Icy = "ICY "u8.ToArray();
    private static readonly byte[] Http10 = "HTTP/1.0 "u8.ToArray();

    private byte[]? _pending; // the first bytes, rewritten, not yet read
    private int _pendingAt;
    private bool _started;

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/> that opens a TCP connection through this stream.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new IcyStatusLineStream(new NetworkStream(socket, ownsSocket: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_started)
        {
            _started = true;
            var head = new byte[Icy.Length];
            int n = 0;
            while (n < head.Length)
            {
                int read = await inner.ReadAsync(head.AsMemory(n), cancellationToken);
                if (read == 0) break;
                n += read;
            }
            _pending = n == head.Length && head.AsSpan().SequenceEqual(Icy) ? Http10 : head[..n];
        }
        return _pending is null ? await inner.ReadAsync(buffer, cancellationToken) : TakePending(buffer.Span);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private int TakePending(Span<byte> buffer)
    {
        var rest = _pending.AsSpan(_pendingAt);
        int n = Math.Min(rest.Length, buffer.Length);
        rest[..n].CopyTo(buffer);
        _pendingAt += n;
        if (_pendingAt == _pending!.Length) _pending = null;
        return n;
    }
}
