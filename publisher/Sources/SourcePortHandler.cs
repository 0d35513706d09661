using System.IO.Pipelines;
using System.Net.Sockets;
using Davecast.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Sources;

/// <summary>
/// Kestrel connection handler of the publisher's source port: reads each connection's request head and hands it to
/// the source admission (<c>PUT</c>, <c>SOURCE</c>), the title update (<c>GET /admin/metadata</c>) or a refusal. A
/// source client's connection stays open while it streams.
/// </summary>
/// <param name="hand">Takes a source client accepted; false when the port is stopping.</param>
/// <param name="stopping">Cancelled when the port stops.</param>
public sealed class SourcePortHandler(
    string mount, SourceAdmission admission, UpdinfoHandler updinfo, SourcePortReplies replies, Func<SourceClient, bool> hand, ILogger logger,
    CancellationToken stopping) : ConnectionHandler
{
    /// <summary>Connections whose request is being read at once; more are closed at once.</summary>
    public const int MaxHandshakes = 32;

    private readonly SemaphoreSlim _handshakes = new(MaxHandshakes);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? "unknown";
        if (!_handshakes.Wait(0))
        {
            logger.TooManyHandshakes(remote, MaxHandshakes);
            return;
        }
        SourceClient? streaming = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(RequestHeadParser.Timeout);
            streaming = await DispatchAsync(connection, remote, timeout.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            logger.HandshakeTimedOut(remote, RequestHeadParser.Timeout.TotalSeconds);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            logger.ConnectionFailed(remote, e.Message);
        }
        finally
        {
            if (streaming is null) await SourcePortReplies.CloseAsync(connection);
            _handshakes.Release();
        }
        if (streaming is null) return;
        if (!hand(streaming)) streaming.Dispose();
        // The connection is the source client's until it is dropped.
        await streaming.Closed;
    }

    // Reads one request and answers it; a source client accepted is returned, to be handed over.
    private async Task<SourceClient?> DispatchAsync(ConnectionContext connection, string remote, CancellationToken cancellationToken)
    {
        var (status, request, error) = await ReadHeadAsync(connection.Transport.Input, cancellationToken);
        switch (status)
        {
            case HeadStatus.Incomplete:
                return null;
            case HeadStatus.TooLarge:
                await replies.RefuseAsync(connection, remote, 431, "Request Header Fields Too Large", error, cancellationToken);
                return null;
            case HeadStatus.Malformed:
                await replies.RefuseAsync(connection, remote, 400, "Bad Request", error, cancellationToken);
                return null;
        }
        switch (request!.Method)
        {
            case "PUT" or "SOURCE":
                return await admission.AdmitAsync(connection, remote, request, cancellationToken);
            case "GET" when request.Path is "/admin/metadata" or "/admin/metadata.xsl":
                await updinfo.AnswerAsync(connection, remote, request, cancellationToken);
                return null;
            case "GET":
                await replies.RefuseAsync(connection, remote, 404, "Not Found",
                    $"{request.Path} is not here: this is a publisher's source port (PUT or SOURCE /{mount}, GET /admin/metadata); listen at an edge", cancellationToken);
                return null;
            default:
                await replies.RefuseAsync(connection, remote, 405, "Method Not Allowed", $"{request.Method} is not a source client's method (PUT or SOURCE)", cancellationToken);
                return null;
        }
    }

    // The request head; Incomplete when the client closed before sending it whole. The body stays in the pipe.
    private static async Task<(HeadStatus Status, RequestHead? Request, string Error)> ReadHeadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = RequestHeadParser.TryRead(buffer, out var request, out long length, out var error);
            if (status == HeadStatus.Complete)
            {
                input.AdvanceTo(buffer.GetPosition(length));
                return (status, request, error);
            }
            if (status != HeadStatus.Incomplete || result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                return (status, null, error);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
