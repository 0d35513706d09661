using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Davecast.Cli;
using Davecast.Grains.Feed;
using Davecast.Silo.Window;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Feed;

/// <summary>
/// The relay's end of the relay feed: edges connect to <c>--feed-port</c>; each gets every batch this relay
/// publishes and answers to its backfill requests from the window. An edge that does not keep up (its queue of
/// unsent batches fills, for example because the network to it is cut) is disconnected; it reconnects by itself.
/// </summary>
public sealed partial class FeedServer(IOptions<RelayOptions> options, RelayWindow window, ILogger<FeedServer> logger) : BackgroundService
{
    /// <summary>Intervals of batches waiting for one edge before it is disconnected (at 100 ms an interval, three seconds).</summary>
    public const int QueueLimit = 30;

    /// <summary>Backfill replies waiting for one edge; past this, a request goes unanswered (the edge asks elsewhere).</summary>
    public const int ReplyLimit = 512;

    private readonly RelayOptions _options = options.Value;
    private readonly RelayWindow _window = window;
    private readonly ConcurrentDictionary<EdgeConnection, byte> _edges = new();
    private readonly TaskCompletionSource<int> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private long _dropped;
    private long _unanswered;

    /// <summary>The port edges connect to (the one bound when <c>--feed-port 0</c>).</summary>
    public Task<int> BoundPort => _bound.Task;

    public int EdgeCount => _edges.Count;

    /// <summary>Backfill requests left unanswered because the edge's queue of replies was full.</summary>
    public long BackfillsUnanswered => Interlocked.Read(ref _unanswered);

    /// <summary>Edges disconnected because they did not keep up.</summary>
    public long SlowEdgesDropped => Interlocked.Read(ref _dropped);

    public IReadOnlyList<string> EdgeNames => [.. _edges.Keys.Select(e => e.Name).Order(StringComparer.Ordinal)];

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Bound before the host reports started, so that a port in use stops the relay with a clear message.
        var endpoint = new IPEndPoint(_options.FeedAddress, _options.FeedPort);
        _listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        ListenFailure.Bind(endpoint, "TCP", "--feed-port", () =>
        {
            _listener.Bind(endpoint);
            _listener.Listen(64);
        });
        int port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _bound.TrySetResult(port);
        LogListening(port);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var socket = await _listener!.AcceptAsync(stoppingToken);
                socket.NoDelay = true;
                var edge = new EdgeConnection(this, socket);
                _edges[edge] = 0;
                _ = edge.RunAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _listener?.Dispose();
            foreach (var e in _edges.Keys) e.Close();
        }
    }

    /// <summary>Queues one interval's Batch messages for every connected edge.</summary>
    public void Broadcast(byte[][] interval)
    {
        foreach (var edge in _edges.Keys)
        {
            if (edge.TrySendBatch(interval)) continue;
            Interlocked.Increment(ref _dropped);
            LogSlowEdge(edge.Name, QueueLimit);
            edge.Close();
        }
    }

    private sealed class EdgeConnection(FeedServer server, Socket socket)
    {
        // Batches and replies share one queue, in order; each kind has its own limit, so that a burst of backfill
        // replies (an edge that just connected asks for many) never counts against the batches.
        private readonly Channel<byte[][]> _out = Channel.CreateUnbounded<byte[][]>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _closed = new();
        private int _batches, _replies;

        public string Name { get; private set; } = socket.RemoteEndPoint?.ToString() ?? "?";

        /// <summary>False when <see cref="QueueLimit"/> intervals already wait: the edge does not keep up.</summary>
        public bool TrySendBatch(byte[][] interval)
        {
            if (Interlocked.Increment(ref _batches) > QueueLimit)
            {
                Interlocked.Decrement(ref _batches);
                return false;
            }
            return _out.Writer.TryWrite(interval);
        }

        /// <summary>False (the reply is dropped) when <see cref="ReplyLimit"/> replies already wait.</summary>
        private bool TrySendReply(byte[] message)
        {
            if (Interlocked.Increment(ref _replies) > ReplyLimit)
            {
                Interlocked.Decrement(ref _replies);
                return false;
            }
            return _out.Writer.TryWrite([message]);
        }

        /// <summary>Ends the connection; disposing the socket also ends a send that a cut network holds up.</summary>
        public void Close()
        {
            _out.Writer.TryComplete();
            try { _closed.Cancel(); } catch (ObjectDisposedException) { }
            socket.Dispose();
        }

        public async Task RunAsync(CancellationToken stopping)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, _closed.Token);
            var ct = linked.Token;
            try
            {
                _out.Writer.TryWrite([FeedCodec.Hello(new FeedHello(FeedProtocol.Version, server._options.Name, server._options.Site))]);
                var writing = WriteLoopAsync(ct);
                await ReadLoopAsync(ct);
                Close();
                await writing;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or FormatException or ObjectDisposedException)
            {
            }
            finally
            {
                Close();
                server._edges.TryRemove(this, out _);
                socket.Dispose();
                server.LogEdgeLeft(Name);
            }
        }

        private async Task WriteLoopAsync(CancellationToken ct)
        {
            try
            {
                var segments = new List<ArraySegment<byte>>();
                await foreach (var messages in _out.Reader.ReadAllAsync(ct))
                {
                    // An interval's messages go out in one gathered send.
                    segments.Clear();
                    foreach (var m in messages) segments.Add(m);
                    int total = messages.Sum(m => m.Length), sent = await socket.SendAsync(segments, SocketFlags.None);
                    while (sent < total)
                    {
                        var rest = Remaining(messages, sent);
                        sent += await socket.SendAsync(rest, SocketFlags.None, ct);
                    }
                    switch ((FeedMessageType)messages[0][4])
                    {
                        case FeedMessageType.Batch: Interlocked.Decrement(ref _batches); break;
                        case FeedMessageType.BackfillReply: Interlocked.Decrement(ref _replies); break;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                Close();
            }
        }

        /// <summary>The bytes of <paramref name="messages"/> after the first <paramref name="sent"/>, as one array (rare: a partial send).</summary>
        private static byte[] Remaining(byte[][] messages, int sent)
        {
            var rest = new byte[messages.Sum(m => m.Length) - sent];
            int at = 0, skip = sent;
            foreach (var m in messages)
            {
                int from = Math.Min(skip, m.Length);
                skip -= from;
                m.AsSpan(from).CopyTo(rest.AsSpan(at));
                at += m.Length - from;
            }
            return rest;
        }

        private async Task ReadLoopAsync(CancellationToken ct)
        {
            var reader = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
            try
            {
                while (true)
                {
                    var result = await reader.ReadAsync(ct);
                    var buffer = result.Buffer;
                    while (FeedCodec.TryTake(ref buffer, out var type, out var payload, out bool corrupt))
                    {
                        switch (type)
                        {
                            case FeedMessageType.Hello:
                                var hello = FeedCodec.ReadHello(payload);
                                Name = hello.Name;
                                server.LogEdgeJoined(Name, socket.RemoteEndPoint?.ToString() ?? "?");
                                break;
                            case FeedMessageType.BackfillRequest:
                                var request = FeedCodec.ReadBackfillRequest(payload);
                                var slice = server._window.GetFrames(request.Mount, request.Encoder, request.Session, request.From, Math.Clamp(request.MaxFrames, 1, 1024));
                                if (!TrySendReply(FeedCodec.BackfillReply(new FeedBackfillReply(request.Id, request.Mount, slice))))
                                    Interlocked.Increment(ref server._unanswered);
                                break;
                        }
                    }
                    if (FeedCodec.TryTake(ref buffer, out _, out _, out bool bad) || bad) return;
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    if (result.IsCompleted) return;
                }
            }
            finally
            {
                await reader.CompleteAsync();
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Relay feed listening on port {Port}")]
    private partial void LogListening(int port);

    [LoggerMessage(LogLevel.Information, "Edge {Edge} follows this relay (from {Remote})")]
    private partial void LogEdgeJoined(string edge, string remote);

    [LoggerMessage(LogLevel.Information, "Edge {Edge} no longer follows this relay")]
    private partial void LogEdgeLeft(string edge);

    [LoggerMessage(LogLevel.Warning, "Edge {Edge} did not keep up ({Queued} batches unsent): disconnected; it reconnects by itself")]
    private partial void LogSlowEdge(string edge, int queued);
}
