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
/// <param name="refusals">Counts and logs the connections closed by <paramref name="limits"/>.</param>
/// <param name="stopping">Cancelled when the port stops.</param>
public sealed class SourcePortHandler(
    string mount, SourceAdmission admission, UpdinfoHandler updinfo, SourcePortReplies replies, Func<SourceClient, bool> hand, SourcePortLimits limits,
    PortRefusals<SourcePortRefusal> refusals, ILogger logger, CancellationToken stopping) : ConnectionHandler
{
    private readonly SemaphoreSlim _pending = new(limits.MaxPending);
    private int _streaming;

    /// <summary>Connections whose request is being read or answered now.</summary>
    public int Pending => limits.MaxPending - _pending.CurrentCount;

    /// <summary>Source clients' connections open now (one streams; others wait for it to go).</summary>
    public int Streaming => Volatile.Read(ref _streaming);

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = connection.RemoteEndPoint?.ToString() ?? "unknown";
        if (!_pending.Wait(0))
        {
            refusals.Add(SourcePortRefusal.TooManyPending, remote);
            return;
        }
        SourceClient? streaming = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            timeout.CancelAfter(limits.HeaderTimeout);
            streaming = await DispatchAsync(connection, remote, timeout.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            refusals.Add(SourcePortRefusal.HeaderTimeout, remote);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            logger.ConnectionFailed(remote, e.Message);
        }
        finally
        {
            if (streaming is null) await SourcePortReplies.CloseAsync(connection);
            _pending.Release();
        }
        if (streaming is null) return;
        Interlocked.Increment(ref _streaming);
        try
        {
            if (!hand(streaming)) streaming.Dispose();
            // The connection is the source client's until it is dropped.
            await streaming.Closed;
        }
        finally
        {
            Interlocked.Decrement(ref _streaming);
        }
    }

    // Reads one request and answers it; a source client accepted is returned, to be handed over.
    private async Task<SourceClient?> DispatchAsync(ConnectionContext connection, string remote, CancellationToken cancellationToken)
    {
        var (status, request, error) = await ReadHeadAsync(connection.Transport.Input, limits.HeaderBytes, cancellationToken);
        switch (status)
        {
            case HeadStatus.Incomplete:
                return null;
            case HeadStatus.TooLarge:
                refusals.Add(SourcePortRefusal.HeaderTooLarge, remote);
                await SourcePortReplies.AnswerAsync(connection, 431, "Request Header Fields Too Large", "text/plain; charset=utf-8", error + "\r\n", cancellationToken);
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
    private static async Task<(HeadStatus Status, RequestHead? Request, string Error)> ReadHeadAsync(
        PipeReader input, int maxBytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var status = RequestHeadParser.TryRead(buffer, out var request, out long length, out var error, maxBytes);
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
