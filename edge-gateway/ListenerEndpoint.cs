using System.Buffers;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>Serves <c>GET /mount</c>: a burst of recent frames from a frame boundary, then every frame as it comes.</summary>
public sealed partial class ListenerEndpoint(MountCatalog catalog, IOptions<EdgeOptions> options, ILogger<ListenerEndpoint> logger)
{
    private readonly EdgeOptions _options = options.Value;

    public async Task ServeAsync(HttpContext context, string mount)
    {
        if (!catalog.TryGet(mount, out var feed) || feed.Parameters is not { } parameters || feed.Output.Head == 0)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"Mount /{mount} does not exist.\n");
            return;
        }
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = parameters.ContentType;
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers.Pragma = "no-cache";
        foreach (var (name, value) in feed.Info?.Headers ?? new Dictionary<string, string>())
            if (name.StartsWith("icy-", StringComparison.OrdinalIgnoreCase)) response.Headers[name] = value;
        if (HttpMethods.IsHead(context.Request.Method)) return;

        var ct = context.RequestAborted;
        var ring = feed.Output;
        long next = ring.BurstStart(_options.BurstBytes);
        LogListenerStarted(mount, context.Connection.RemoteIpAddress?.ToString());
        long bytes = 0;
        Interlocked.Increment(ref feed.Listeners);
        try
        {
            var writer = response.BodyWriter;
            while (!ct.IsCancellationRequested)
            {
                await ring.WaitForAsync(next).WaitAsync(ct);
                long head = ring.Head;
                if (next < ring.Tail)
                {
                    LogListenerTooSlow(mount);
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
        catch (OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref feed.Listeners);
        }
        LogListenerStopped(mount, bytes);
    }

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} from {Remote}")]
    private partial void LogListenerStarted(string mount, string? remote);

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} left after {Bytes} bytes")]
    private partial void LogListenerStopped(string mount, long bytes);

    [LoggerMessage(LogLevel.Warning, "Listener on /{Mount} fell too far behind and was dropped")]
    private partial void LogListenerTooSlow(string mount);
}
