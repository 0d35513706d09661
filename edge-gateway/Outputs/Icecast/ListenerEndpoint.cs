using Davecast.Edge.Listeners;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// Serves a mount to listeners: admission within the listener limits, a burst of recent frames from a frame
/// boundary, then every frame as it comes, with ICY metadata blocks interleaved for listeners that asked for them.
/// <c>GET</c> is answered on the raw connection (see <see cref="IcecastConnectionHandler"/>) as Icecast does: an
/// HTTP/1.0 response with no chunked encoding. <c>HEAD</c> and unknown mounts go through ASP.NET Core.
/// </summary>
public sealed partial class ListenerEndpoint(MountCatalog catalog, ListenerAuthHook auth, IOptions<EdgeOptions> options, ILogger<ListenerEndpoint> logger)
{
    private readonly EdgeOptions _options = options.Value;
    private readonly BurstLimit _burst = BurstLimit.Of(options.Value);
    private int _listeners;
    private long _refusedEdgeFull, _refusedMountFull, _droppedSlow;

    /// <summary>Listeners connected to this edge, over all mounts.</summary>
    public int Listeners => Volatile.Read(ref _listeners);

    /// <summary>Listeners refused because the edge (<c>--max-listeners</c>) or their mount (<c>--max-listeners-per-mount</c>) was full.</summary>
    public long RefusedEdgeFull => Interlocked.Read(ref _refusedEdgeFull);
    public long RefusedMountFull => Interlocked.Read(ref _refusedMountFull);

    /// <summary>Listeners dropped because their queue passed <c>--listener-queue-bytes</c>.</summary>
    public long DroppedSlow => Interlocked.Read(ref _droppedSlow);

    /// <summary>The mount's feed if it can be listened to now.</summary>
    public bool TryGetPlayable(string mount, out MountFeed feed) => catalog.TryGet(mount, out feed) && feed.Playable;

    /// <summary>
    /// Counts a new listener in, or says why it is refused (the edge or the mount is full). A session that is
    /// returned must be given back with <see cref="Release"/>.
    /// </summary>
    public ListenerSession? TryAdmit(MountFeed feed, string? remote, bool icyMetadata, out string? refusal, string? userAgent = null)
    {
        refusal = null;
        if (Interlocked.Increment(ref _listeners) > _options.MaxListeners)
        {
            Interlocked.Decrement(ref _listeners);
            Interlocked.Increment(ref _refusedEdgeFull);
            refusal = $"This server is full: it already has {_options.MaxListeners} listeners.";
            LogRefused(feed.Mount, remote, refusal);
            return null;
        }
        var session = new ListenerSession(feed.Mount, remote, icyMetadata, userAgent);
        if (!feed.TryAddListener(session))
        {
            Interlocked.Decrement(ref _listeners);
            Interlocked.Increment(ref _refusedMountFull);
            refusal = $"Mount /{feed.Mount} is full: it already has {_options.MaxListenersPerMount} listeners.";
            LogRefused(feed.Mount, remote, refusal);
            return null;
        }
        return session;
    }

    public void Release(MountFeed feed, ListenerSession session)
    {
        feed.RemoveListener(session);
        Interlocked.Decrement(ref _listeners);
    }

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
        bool icy = WantsIcyMetadata(context.Request.Headers["Icy-MetaData"]);
        foreach (var (name, value) in IcecastHeaders.For(feed, feed.Parameters!.Value, icy ? _options.IcyMetaInt : 0)) response.Headers[name] = value;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        var session = TryAdmit(feed, context.Connection.RemoteIpAddress?.ToString(), icy, out var refusal, context.Request.Headers.UserAgent);
        if (session is null)
        {
            response.Headers.Clear();
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await response.WriteAsync(refusal + "\n");
            return;
        }
        var login = ListenerLogin.From($"{context.Request.Path}{context.Request.QueryString}", context.Request.Headers.Authorization);
        bool admitted = false;
        try
        {
            var verdict = await auth.AddAsync(session, login, context.RequestAborted);
            if (verdict != ListenerAuthVerdict.Admitted)
            {
                var no = ListenerAuthHook.Refusal(verdict, feed.Mount, login);
                response.Headers.Clear();
                if (no.Challenge) response.Headers.WWWAuthenticate = Security.BasicCredentials.IcecastChallenge;
                response.StatusCode = no.Status;
                await response.WriteAsync(no.Message + "\n");
                return;
            }
            admitted = true;
            response.StatusCode = StatusCodes.Status200OK;
            await StreamAsync(feed, session, new PipeListenerOutput(response.BodyWriter), context.RequestAborted);
        }
        finally
        {
            Release(feed, session);
            if (admitted) auth.Removed(session, login);
        }
    }

    // Sends what was written and, when all of it left, moves the listener's taken position on.
    private static async ValueTask<ListenerSend> SendAsync(MountFeed feed, ListenerSession session, ListenerOutput output, long written, long taken)
    {
        feed.CountListenerBytes(written);
        var sent = await output.SendAsync();
        if (sent == ListenerSend.Sent) session.TakenOffset = taken;
        return sent;
    }

    /// <summary>Whether an <c>Icy-MetaData</c> request header asks for metadata blocks ("1", as players send it).</summary>
    public static bool WantsIcyMetadata(string? header) => header is not null && int.TryParse(header.Trim(), out int v) && v > 0;

    /// <summary>
    /// Audio written to a listener between flushes: one block of Kestrel's memory pool. A connection's output pipe
    /// keeps, for its whole life, as many buffer segments as it ever held at once, so a 64 KiB burst flushed in one go
    /// would leave 16 with every listener. Flushed before a frame would pass a block (each flush sent on the flushing
    /// thread, which gives the block back), it holds one.
    /// </summary>
    public const int FlushBytes = 4096;

    /// <summary>
    /// Writes the mount's frames to <paramref name="output"/> until the listener leaves (<paramref name="ct"/>, or its
    /// session is closed or kicked), or is dropped because its queue passed the limit (see <see cref="MountListeners.DropSlow"/>).
    /// Returns true when it was dropped. What is already written to the output (the response's head) goes first.
    /// </summary>
    public async Task<bool> StreamAsync(MountFeed feed, ListenerSession session, ListenerOutput output, CancellationToken ct)
    {
        var ring = feed.Output;
        var cursor = ring.BurstStart(_burst, feed.BurstFloor);
        session.TakenOffset = cursor.Offset;
        var icy = new IcyInterleaver(session.IcyMetadata ? _options.IcyMetaInt : 0);
        LogListenerStarted(feed.Mount, session.Remote, session.IcyMetadata);
        long bytes = 0;
        // The session is what ends the stream; a connection known to end by a token closes it.
        using var leaving = ct.UnsafeRegister(static s => ((ListenerSession)s!).Close(), session);
        session.Attach(output);
        // Stream position the bytes held back by a blocked send reach.
        long blockedAt = -1;
        try
        {
            while (!session.Ended)
            {
                // A connection that did not take the last send is tried again at the next publish, not at once.
                await ring.WaitForAsync(blockedAt >= 0 ? Math.Max(cursor.Index, ring.Head) : cursor.Index, session);
                // Woken by its end: nothing more is written.
                if (session.Ended) break;
                var sent = ListenerSend.Sent;
                if (output.HasUnsent)
                {
                    sent = await output.SendAsync();
                    if (sent == ListenerSend.Closed) break;
                    if (sent == ListenerSend.Blocked) continue;
                    if (blockedAt >= 0) session.TakenOffset = blockedAt;
                    blockedAt = -1;
                }
                long taken = session.TakenOffset, unflushed = 0;
                // The cursor holds the frames it has still to read; the queue limit (DropSlow) bounds how many.
                while (OutputRing.TryRead(ref cursor, out var frame))
                {
                    if (unflushed > 0 && unflushed + frame.Data.Length > FlushBytes)
                    {
                        if ((sent = await SendAsync(feed, session, output, unflushed, taken)) == ListenerSend.Closed) break;
                        bytes += unflushed;
                        unflushed = 0;
                    }
                    // Even after a blocked send: the frame is read, so it waits with the rest.
                    icy.Write(output, frame.Data.Span, frame.Title);
                    unflushed += frame.Data.Length;
                    taken = frame.EndOffset;
                    if (sent == ListenerSend.Blocked) break;
                }
                if (sent == ListenerSend.Closed || (sent = await SendAsync(feed, session, output, unflushed, taken)) == ListenerSend.Closed) break;
                bytes += unflushed;
                blockedAt = sent == ListenerSend.Blocked ? taken : -1;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }
        finally
        {
            OutputRing.Leave(ref cursor);
            output.Release();
        }
        bool dropped = session.DroppedWithQueue >= 0;
        if (dropped)
        {
            Interlocked.Increment(ref _droppedSlow);
            LogListenerTooSlow(feed.Mount, session.Remote, session.DroppedWithQueue, _options.ListenerQueueBytes);
        }
        LogListenerStopped(feed.Mount, session.Remote, bytes);
        return dropped;
    }

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} from {Remote} (ICY metadata: {Icy})")]
    private partial void LogListenerStarted(string mount, string? remote, bool icy);

    [LoggerMessage(LogLevel.Information, "Listener on /{Mount} from {Remote} left after {Bytes} bytes of audio")]
    private partial void LogListenerStopped(string mount, string? remote, long bytes);

    [LoggerMessage(LogLevel.Warning, "Listener on /{Mount} from {Remote} dropped: its queue reached {Queued} bytes (limit {Limit})")]
    private partial void LogListenerTooSlow(string mount, string? remote, long queued, long limit);

    [LoggerMessage(LogLevel.Warning, "Listener on /{Mount} from {Remote} refused: {Reason}")]
    private partial void LogRefused(string mount, string? remote, string reason);
}
