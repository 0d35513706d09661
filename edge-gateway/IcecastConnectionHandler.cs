using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Davecast.Edge.Connections;
using Davecast.Edge.Listeners;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Davecast.Edge;

/// <summary>
/// Kestrel connection middleware that answers <c>GET /mount</c> for a playable mount itself, the way Icecast does:
/// "HTTP/1.0 200 OK", Icecast's headers, then the raw audio with no chunked transfer encoding (which Icecast's own
/// relay client and older players do not expect). Any other request is handed to ASP.NET Core untouched. Every
/// connection passes the <see cref="ConnectionGate"/> first.
/// </summary>
public sealed class IcecastConnectionHandler(
    ListenerEndpoint listeners, ListenerAuthHook auth, ConnectionGate gate, Microsoft.Extensions.Options.IOptions<EdgeOptions> options)
{
    /// <summary>Send buffer of a listener's socket (Linux doubles it): seconds of audio, not the megabytes autotuning allows.</summary>
    public const int SocketSendBuffer = 64 * 1024;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!gate.TryOpen(connection, out var address)) return;
        try
        {
            var input = connection.Transport.Input;
            ReadOnlySequence<byte> buffer;
            RequestHead? head;
            long headLength;
            using (var timeout = new CancellationTokenSource(options.Value.HeaderTimeout))
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
                        gate.HeaderTimedOut(connection);
                        return;
                    }
                    buffer = result.Buffer;
                    var status = RequestHeadParser.TryRead(buffer, out head, out headLength, out _);
                    if (status == HeadStatus.Complete) break;
                    if (status != HeadStatus.Incomplete || result.IsCompleted)
                    {
                        // Too large, malformed or cut short: Kestrel's own parser answers it.
                        input.AdvanceTo(buffer.Start);
                        await next(connection);
                        return;
                    }
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }

            if (!IsListen(head!, out var mount) || !listeners.TryGetPlayable(mount, out var feed))
            {
                // Leave every byte for Kestrel's own parser.
                input.AdvanceTo(buffer.Start);
                await next(connection);
                return;
            }
            input.AdvanceTo(buffer.GetPosition(headLength));

            var output = connection.Transport.Output;
            bool icy = ListenerEndpoint.WantsIcyMetadata(head!.Header("Icy-MetaData"));
            var session = listeners.TryAdmit(feed, connection.RemoteEndPoint?.ToString(), icy, out var refusal, head.Header("User-Agent"));
            if (session is null)
            {
                await RefuseAsync(output, new ListenerRefusal(503, "Service Unavailable", refusal!, false));
                return;
            }
            var login = ListenerLogin.From(head.Target, head.Header("Authorization"));
            bool admitted = false;
            try
            {
                var verdict = await auth.AddAsync(session, login, connection.ConnectionClosed);
                if (verdict != ListenerAuthVerdict.Admitted)
                {
                    await RefuseAsync(output, ListenerAuthHook.Refusal(verdict, feed.Mount, login));
                    return;
                }
                admitted = true;
                // The listener's socket is written by its stream alone from here (Kestrel's output pipe carries nothing more),
                // with a small kernel share of its queue, so that the queue limit sees a stalled listener.
                ListenerOutput sink = connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket
                    ? new SocketListenerOutput(socket, SocketSendBuffer)
                    : new PipeListenerOutput(output);
                var response = new StringBuilder("HTTP/1.0 200 OK\r\n");
                response.Append($"Server: {IcecastHeaders.Server}\r\n");
                response.Append($"Date: {DateTime.UtcNow:R}\r\n");
                foreach (var (name, value) in IcecastHeaders.For(feed, feed.Parameters!.Value, icy ? options.Value.IcyMetaInt : 0))
                    response.Append($"{name}: {Clean(value)}\r\n");
                response.Append("Connection: Close\r\n\r\n");
                sink.Write(Encoding.Latin1.GetBytes(response.ToString()));
                // What the socket does not take now goes first in the stream's next send.
                await sink.SendAsync();

                // The listener leaving shows as the end of its input, which closes its session.
                var watch = WatchForCloseAsync(input, session);
                // No token: an aborted connection ends its input too, and a registration per listener costs memory.
                bool dropped = await listeners.StreamAsync(feed, session, sink, CancellationToken.None);
                input.CancelPendingRead();
                await watch;
                // A dropped listener is not reading: what is still queued for it would never leave, so reset the connection.
                if (dropped) connection.Abort(new ConnectionAbortedException("listener fell too far behind"));
                else await output.CompleteAsync();
            }
            finally
            {
                listeners.Release(feed, session);
                if (admitted) auth.Removed(session, login);
            }
        }
        finally
        {
            gate.Close(address);
        }
    }

    /// <summary>A listener that is not admitted: the status, a line saying why, and the connection closed.</summary>
    private static async Task RefuseAsync(PipeWriter output, ListenerRefusal refusal)
    {
        var body = Encoding.UTF8.GetBytes(refusal.Message + "\n");
        var head = new StringBuilder($"HTTP/1.0 {refusal.Status} {refusal.Reason}\r\nServer: {IcecastHeaders.Server}\r\n");
        head.Append($"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n");
        if (refusal.Status == 503) head.Append("Retry-After: 30\r\n");
        if (refusal.Challenge) head.Append($"WWW-Authenticate: {Security.BasicCredentials.IcecastChallenge}\r\n");
        head.Append("Connection: Close\r\n\r\n");
        output.Write(Encoding.Latin1.GetBytes(head.ToString()));
        output.Write(body);
        await output.FlushAsync();
        await output.CompleteAsync();
    }

    // No token: a token per listener costs a registration; the stream's end stops the read with CancelPendingRead.
    private static async Task WatchForCloseAsync(PipeReader input, ListenerSession session)
    {
        try
        {
            while (true)
            {
                var r = await input.ReadAsync();
                input.AdvanceTo(r.Buffer.End);
                if (r.IsCompleted || r.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionResetException)
        {
        }
        session.Close();
    }

    /// <summary>"GET /mount HTTP/1.x": the mount, percent-decoded, without query string.</summary>
    private static bool IsListen(RequestHead head, out string mount)
    {
        mount = head.Path.Length > 1 ? head.Path[1..] : "";
        return head.Method == "GET" && head.IsHttp1 && mount.Length > 0;
    }

    private static string Clean(string value) => value.Replace("\r", " ").Replace("\n", " ");
}
