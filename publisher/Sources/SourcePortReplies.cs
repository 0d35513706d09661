using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// The source port's answers that end a connection, as Icecast 2.4 words them: an HTTP/1.0 head, a body, then the
/// connection closed without resetting it. A refusal is logged once while the same refusals repeat (an encoder
/// retrying with a wrong password).
/// </summary>
public sealed class SourcePortReplies(ILogger logger)
{
    private readonly Lock _gate = new();
    private string? _refusal; // the refusal last logged

    /// <summary>A source client was accepted: the next refusal is news again.</summary>
    public void Forget()
    {
        lock (_gate) _refusal = null;
    }

    public Task RefuseAsync(
        ConnectionContext connection, string remote, int status, string reason, string message, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var refusal = $"{status} {message}";
        bool repeated;
        lock (_gate)
        {
            repeated = refusal == _refusal;
            _refusal = refusal;
        }
        logger.Refusing(repeated ? LogLevel.Debug : LogLevel.Warning, remote, status, message);
        return AnswerAsync(connection, status, reason, "text/plain; charset=utf-8", message + "\r\n", cancellationToken, extraHeaders);
    }

    public static async Task AnswerAsync(
        ConnectionContext connection, int status, string reason, string contentType, string body, CancellationToken cancellationToken, string extraHeaders = "")
    {
        var content = Encoding.UTF8.GetBytes(body);
        var head = string.Create(CultureInfo.InvariantCulture,
            $"HTTP/1.0 {status} {reason}\r\nServer: davecast-publisher\r\nConnection: Close\r\nContent-Type: {contentType}\r\n{extraHeaders}"
            + $"Cache-Control: no-cache, no-store\r\nContent-Length: {content.Length}\r\n\r\n");
        byte[] answer = [.. Encoding.ASCII.GetBytes(head), .. content];
        // Straight to the socket, so that CloseAsync may half-close it once the answer has left.
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket) await socket.SendAsync(answer, cancellationToken);
        else await connection.Transport.Output.WriteAsync(answer, cancellationToken);
    }

    /// <summary>
    /// Ends a connection after its answer: half-closes it and drains what the client still sends for a moment, so
    /// that closing does not reset the connection before the client has read the answer.
    /// </summary>
    public static async Task CloseAsync(ConnectionContext connection)
    {
        try
        {
            connection.Features.Get<IConnectionSocketFeature>()?.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            using var linger = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var input = connection.Transport.Input;
            for (long total = 0; total < 64 * 1024; )
            {
                var result = await input.ReadAsync(linger.Token);
                total += result.Buffer.Length;
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException
                                   or InvalidOperationException)
        {
        }
    }
}
