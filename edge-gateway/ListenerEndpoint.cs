using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// Serves a mount to a listener: a burst of recent frames from a frame boundary, then every frame as it comes.
/// <c>GET</c> is answered on the raw connection (see <see cref="IcecastConnectionHandler"/>) as Icecast does: an
/// HTTP/1.0 response with no chunked encoding. <c>HEAD</c> and unknown mounts go through ASP.NET Core.
/// </summary>
public sealed partial class ListenerEndpoint(MountCatalog catalog, IOptions<EdgeOptions> options, ILogger<ListenerEndpoint> logger)
{
    private readonly EdgeOptions _options = options.Value;

    /// <summary>The mount's feed if it can be listened to now.</summary>
    public bool TryGetPlayable(string mount, out MountFeed feed) =>
        catalog.TryGet(mount, out feed) && feed.Parameters is not null && feed.Output.Head > 0;

    /// <summary>ASP.NET Core path: HEAD of a mount, and 404 for unknown mounts.</summary>
    public async Task ServeAsync(HttpContext context, string mount)
    {
        if (!TryGetPlayable(mount, out var feed))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"Mount /{mount} does not exist.\n");
            return;
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        foreach (var (name, value) in IcecastHeaders.For(feed, feed.Parameters!.Value)) response.Headers[name] = value;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await StreamAsync(feed, response.BodyWriter, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted);
    }

    /// <summary>Writes the mount's frames to <paramref name="writer"/> until the listener leaves or falls too far behind.</summary>
    public async Task StreamAsync(MountFeed feed, PipeWriter writer, string? remote, CancellationToken ct)
    {
        var ring = feed.Output;
        long next = ring.BurstStart(_options.BurstBytes);
        LogListenerStarted(feed.Mount, remote);
        long bytes = 0;
        Interlocked.Increment(ref feed.Listeners);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await ring.WaitForAsync(next).WaitAsync(ct);
                long head = ring.Head;
                if (next < ring.Tail)
                {
                    LogListenerTooSlow(feed.Mount);
                    break;
                }
                for (; next < head; next++)
                {
                    if (!ring.TryGet(next, out var entry)) break;
                    writer.Write(entry.Frame.Span);
                    bytes += entry.Frame.Length;
                }
                var flushed = await writer.FlushAsync(ct);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref feed.Listeners);
        }
        LogListenerStopped(feed.Mount, bytes);
    }

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} from {Remote}")]
    private partial void LogListenerStarted(string mount, string? remote);

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} left after {Bytes} bytes")]
    private partial void LogListenerStopped(string mount, long bytes);

    [LoggerMessage(LogLevel.Warning, "Listener on /{Mount} fell too far behind and was dropped")]
    private partial void LogListenerTooSlow(string mount);
}
