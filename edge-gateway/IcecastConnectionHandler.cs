using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Davecast.Edge;

/// <summary>
/// Kestrel connection middleware that answers <c>GET /mount</c> for a playable mount itself, the way Icecast does:
/// "HTTP/1.0 200 OK", Icecast's headers, then the raw audio with no chunked transfer encoding (which Icecast's own
/// relay client and older players do not expect). Any other request is handed to ASP.NET Core untouched.
/// </summary>
public sealed class IcecastConnectionHandler(ListenerEndpoint listeners, Microsoft.Extensions.Options.IOptions<EdgeOptions> options)
{
    private const int MaxHead = 16 * 1024;

    /// <summary>Send buffer of a listener's socket (Linux doubles it): seconds of audio, not the megabytes autotuning allows.</summary>
    public const int SocketSendBuffer = 64 * 1024;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        ReadOnlySequence<byte> buffer;
        long headLength;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                buffer = result.Buffer;
                var end = FindHeadEnd(buffer);
                if (end >= 0)
                {
                    headLength = end;
                    break;
                }
                if (result.IsCompleted || buffer.Length > MaxHead)
                {
                    input.AdvanceTo(buffer.Start);
                    await next(connection);
                    return;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        var head = Encoding.Latin1.GetString(buffer.Slice(0, headLength));
        if (!TryParseListen(head, out var mount) || !listeners.TryGetPlayable(mount, out var feed))
        {
            // Leave every byte for Kestrel's own parser.
            input.AdvanceTo(buffer.Start);
            await next(connection);
            return;
        }
        input.AdvanceTo(buffer.GetPosition(headLength));

        var output = connection.Transport.Output;
        bool icy = ListenerEndpoint.WantsIcyMetadata(HeaderValue(head, "Icy-MetaData"));
        var session = listeners.TryAdmit(feed, connection.RemoteEndPoint?.ToString(), icy, out var refusal);
        if (session is null)
        {
            var body = Encoding.UTF8.GetBytes(refusal + "\n");
            output.Write(Encoding.Latin1.GetBytes(
                $"HTTP/1.0 503 Service Unavailable\r\nServer: {IcecastHeaders.Server}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + $"Content-Length: {body.Length}\r\nRetry-After: 30\r\nConnection: Close\r\n\r\n"));
            output.Write(body);
            await output.FlushAsync();
            await output.CompleteAsync();
            return;
        }
        try
        {
            // Keep the kernel's share of the listener's queue small, so that the queue limit sees a stalled listener.
            if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket) socket.SendBufferSize = SocketSendBuffer;
            var response = new StringBuilder("HTTP/1.0 200 OK\r\n");
            response.Append($"Server: {IcecastHeaders.Server}\r\n");
            response.Append($"Date: {DateTime.UtcNow:R}\r\n");
            foreach (var (name, value) in IcecastHeaders.For(feed, feed.Parameters!.Value, icy ? options.Value.IcyMetaInt : 0))
                response.Append($"{name}: {Clean(value)}\r\n");
            response.Append("Connection: Close\r\n\r\n");
            output.Write(Encoding.Latin1.GetBytes(response.ToString()));
            await output.FlushAsync();

            // The listener leaving shows as the end of its input.
            using var gone = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
            var watch = WatchForCloseAsync(input, gone);
            bool dropped = await listeners.StreamAsync(feed, session, output, gone.Token);
            gone.Cancel();
            await watch;
            // A dropped listener is not reading: what is still queued for it would never leave, so reset the connection.
            if (dropped) connection.Abort(new ConnectionAbortedException("listener fell too far behind"));
            else await output.CompleteAsync();
        }
        finally
        {
            listeners.Release(feed, session);
        }
    }

    /// <summary>The value of a request header (case-insensitive name), or null.</summary>
    internal static string? HeaderValue(string head, string name)
    {
        foreach (var line in head.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase)) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static async Task WatchForCloseAsync(PipeReader input, CancellationTokenSource gone)
    {
        try
        {
            while (!gone.IsCancellationRequested)
            {
                var r = await input.ReadAsync(gone.Token);
                input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
        }
        await gone.CancelAsync();
    }

    /// <summary>"GET /mount HTTP/1.x": the mount, without query string.</summary>
    internal static bool TryParseListen(string head, out string mount)
    {
        mount = "";
        int lineEnd = head.IndexOf("\r\n", StringComparison.Ordinal);
        var parts = (lineEnd < 0 ? head : head[..lineEnd]).Split(' ');
        if (parts.Length != 3 || parts[0] != "GET" || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal)) return false;
        var path = parts[1];
        int q = path.IndexOf('?');
        if (q >= 0) path = path[..q];
        if (!path.StartsWith('/') || path.Length < 2) return false;
        mount = Uri.UnescapeDataString(path[1..]);
        return true;
    }

    private static string Clean(string value) => value.Replace("\r", " ").Replace("\n", " ");

    private static long FindHeadEnd(in ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8, advancePastDelimiter: true)) return reader.Consumed;
        return -1;
    }
}
