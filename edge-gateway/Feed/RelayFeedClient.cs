using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using Davecast.Cli;
using Davecast.Grains;
using Davecast.Grains.Feed;

namespace Davecast.Edge.Feed;

/// <summary>
/// This edge's connection to one relay's feed: takes the relay's batches of every mount and hands them to
/// <paramref name="onBatch"/>, and asks its window for backfills. The connection depends only on this edge, that
/// relay and the network between them. A relay silent for <see cref="FeedProtocol.IdleTimeout"/> (dead, or cut
/// off) is dropped and dialled again every second, so a healed path is used again within seconds.
/// </summary>
public sealed partial class RelayFeedClient(
    string relay, string endpoint, string site, string edgeName, Action<MountBatch> onBatch, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<uint, TaskCompletionSource<WindowSlice?>> _pending = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Socket? _socket;
    private uint _nextId;
    private long _lastMessage = long.MinValue;
    private Task? _run;

    public string Relay { get; } = relay;
    public string Endpoint { get; } = endpoint;
    public string Site { get; } = site;

    /// <summary>Connected, and heard from within the idle timeout.</summary>
    public bool Connected => _socket is not null && SinceMessage is { } s && s < FeedProtocol.IdleTimeout;

    /// <summary>How long ago the relay last sent anything; null if never.</summary>
    public TimeSpan? SinceMessage
    {
        get
        {
            long at = Interlocked.Read(ref _lastMessage);
            return at == long.MinValue ? null : System.Diagnostics.Stopwatch.GetElapsedTime(at);
        }
    }

    public long Connects { get; private set; }

    public void Start() => _run ??= Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ConnectAndReadAsync(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (!_lostLogged) LogLost(Relay, Site, Endpoint, e.Message);
                _lostLogged = true;
            }
            finally
            {
                var socket = Interlocked.Exchange(ref _socket, null);
                socket?.Dispose();
                foreach (var id in _pending.Keys)
                    if (_pending.TryRemove(id, out var waiting)) waiting.TrySetResult(null);
            }
            try
            {
                await Task.Delay(RetryPause, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        async Task ConnectAndReadAsync(CancellationToken ct)
        {
            var target = HostPort.Resolve(Endpoint);
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connect.CancelAfter(ConnectTimeout);
                try
                {
                    await socket.ConnectAsync(target, connect.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    socket.Dispose();
                    throw new TimeoutException($"no answer within {ConnectTimeout.TotalSeconds:F0} s");
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            _socket = socket;
            await SendAsync(FeedCodec.Hello(new FeedHello(FeedProtocol.Version, edgeName, "")), ct);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var reader = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
            bool greeted = false;
            byte version = FeedProtocol.Version;
            try
            {
                while (true)
                {
                    idle.CancelAfter(FeedProtocol.IdleTimeout);
                    ReadResult result;
                    try
                    {
                        result = await reader.ReadAsync(idle.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        throw new TimeoutException($"silent for {FeedProtocol.IdleTimeout.TotalSeconds:F0} s");
                    }
                    var buffer = result.Buffer;
                    while (FeedCodec.TryTake(ref buffer, out var type, out var payload, out _))
                    {
                        Interlocked.Exchange(ref _lastMessage, System.Diagnostics.Stopwatch.GetTimestamp());
                        switch (type)
                        {
                            case FeedMessageType.Hello:
                                var hello = FeedCodec.ReadHello(payload);
                                if (!FeedProtocol.CanRead(hello.Version))
                                    throw new InvalidDataException($"relay speaks feed version {hello.Version}, this edge {FeedProtocol.OldestReadable} to {FeedProtocol.Version}");
                                version = hello.Version;
                                if (hello.Name != Relay) throw new InvalidDataException($"the relay at {Endpoint} is '{hello.Name}', not '{Relay}'");
                                greeted = true;
                                Connects++;
                                if (_lostLogged) LogBack(Relay, Site);
                                else LogFollowing(Relay, hello.Site, Endpoint);
                                _lostLogged = false;
                                break;
                            case FeedMessageType.Batch when greeted:
                                foreach (var batch in FeedCodec.ReadBatch(payload, Relay, version)) onBatch(batch);
                                break;
                            case FeedMessageType.BackfillReply when greeted:
                                var reply = FeedCodec.ReadBackfillReply(payload, Relay, version);
                                if (_pending.TryRemove(reply.Id, out var waiting)) waiting.TrySetResult(reply.Slice);
                                break;
                        }
                    }
                    if (FeedCodec.TryTake(ref buffer, out _, out _, out bool corrupt) || corrupt) throw new InvalidDataException("corrupt feed stream");
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted) throw new IOException("the relay closed the feed");
                }
            }
            finally
            {
                await reader.CompleteAsync();
            }
        }
    }

    // A lost connection is logged once, and its return once, however many dials it takes.
    private bool _lostLogged;

    /// <summary>
    /// Frames of one encoder session from the relay's window; null when the relay does not answer within
    /// <paramref name="timeout"/> or is not connected. Never throws.
    /// </summary>
    public async Task<WindowSlice?> BackfillAsync(string mount, string encoder, ulong session, ulong from, int maxFrames, TimeSpan timeout)
    {
        if (!Connected) return null;
        uint id = Interlocked.Increment(ref _nextId);
        var waiting = new TaskCompletionSource<WindowSlice?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiting;
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await SendAsync(FeedCodec.BackfillRequest(new FeedBackfillRequest(id, mount, encoder, session, from, maxFrames)), cts.Token);
            return await waiting.Task.WaitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or SocketException or ObjectDisposedException or IOException)
        {
            return null;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task SendAsync(byte[] message, CancellationToken ct)
    {
        var socket = _socket ?? throw new IOException("not connected");
        await _sendGate.WaitAsync(ct);
        try
        {
            int sent = 0;
            while (sent < message.Length) sent += await socket.SendAsync(message.AsMemory(sent), SocketFlags.None, ct);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket?.Dispose();
        if (_run is not null)
        {
            try { await _run.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* stopping */ }
        }
    }

    [LoggerMessage(LogLevel.Information, "Following relay {Relay} (site {Site}) at {Endpoint}")]
    private partial void LogFollowing(string relay, string site, string endpoint);

    [LoggerMessage(LogLevel.Information, "Relay {Relay} (site {Site}) followed again")]
    private partial void LogBack(string relay, string site);

    [LoggerMessage(LogLevel.Warning, "Relay {Relay} (site {Site}) at {Endpoint} not followed: {Error}; retrying every second")]
    private partial void LogLost(string relay, string site, string endpoint, string error);
}
