using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Davecast.Edge;
using Davecast.Icy;
using Davecast.Edge.Listeners;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Tests.Icy;
using Davecast.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Davecast.Tests.Edge;

/// <summary>A listener's stream (<see cref="ListenerEndpoint.StreamAsync"/>): what reaches its connection, in what flushes or sends, and how it ends.</summary>
public class ListenerStreamTests
{
    private const int FrameBytes = 417;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_listener_gets_its_burst_then_each_new_frame_in_flushes_of_at_most_a_pool_block_and_stops_when_its_connection_closes()
    {
        var (endpoint, feed) = Mount();
        for (int i = 0; i < 200; i++) Append(feed, i); // 81 KiB: more than the 64 KiB burst
        var writer = new FlushRecorder();
        var session = new ListenerSession("live", "127.0.0.1:1", icyMetadata: false);
        using var connection = new CancellationTokenSource();
        var stream = endpoint.StreamAsync(feed, session, new PipeListenerOutput(writer), connection.Token);

        int burst = 64 * 1024 / FrameBytes;
        await Wait.UntilAsync(() => writer.Written >= burst * FrameBytes, Timeout, "the burst");
        for (int i = 200; i < 230; i++) Append(feed, i);
        feed.Output.Publish();
        await Wait.UntilAsync(() => session.TakenOffset == feed.Output.BytesOut, Timeout, "the new frames");

        // Every frame from the burst's first on, each once, in order.
        var frames = writer.Bytes.Chunk(FrameBytes).Select(f => f[0] | f[1] << 8).ToArray();
        Assert.Equal(Enumerable.Range(200 - burst, burst + 30), frames);
        // Never more than a block of Kestrel's pool a flush: the connection's pipe keeps as many segments as it ever held.
        Assert.All(writer.Flushes, n => Assert.InRange(n, 0, ListenerEndpoint.FlushBytes));
        Assert.True(writer.Flushes.Count >= writer.Written / ListenerEndpoint.FlushBytes);
        Assert.Equal(writer.Written, feed.ListenerBytes);

        connection.Cancel();
        Assert.False(await stream.WaitAsync(Timeout), "a listener whose connection closed is not counted as dropped");
    }

    [Fact]
    public async Task A_listener_waiting_for_frames_stops_at_once_when_dropped_closed_or_kicked()
    {
        var (endpoint, feed) = Mount();
        Append(feed, 0);
        foreach (var (end, dropped) in new (Action<ListenerSession>, bool)[] { (s => s.Drop(600_000), true), (s => s.Close(), false), (s => s.Kick(), false) })
        {
            var writer = new FlushRecorder();
            var session = new ListenerSession("live", "127.0.0.1:1", icyMetadata: false);
            var stream = endpoint.StreamAsync(feed, session, new PipeListenerOutput(writer), CancellationToken.None);
            await Wait.UntilAsync(() => writer.Written == FrameBytes, Timeout, "the burst");
            Assert.False(stream.IsCompleted);
            end(session);
            Assert.Equal(dropped, await stream.WaitAsync(Timeout));
        }
    }

    [Fact]
    public async Task A_listener_whose_connection_stopped_taking_bytes_is_ended_by_a_drop_though_its_flush_never_completes()
    {
        var (endpoint, feed) = Mount();
        Append(feed, 0);
        var writer = new FlushRecorder { Stalled = true };
        var session = new ListenerSession("live", "127.0.0.1:1", icyMetadata: false);
        var stream = endpoint.StreamAsync(feed, session, new PipeListenerOutput(writer), CancellationToken.None);
        await Wait.UntilAsync(() => writer.Stalls == 1, Timeout, "the first flush");
        Assert.False(stream.IsCompleted);
        session.Drop(600_000);
        Assert.True(await stream.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_listener_on_its_own_socket_that_lags_gets_every_frame_in_order_with_metadata_blocks_exactly_spaced()
    {
        const int interval = 1000;
        var (endpoint, feed) = Mount(interval);
        var (first, second) = (new TitleInfo("First"), new TitleInfo("Second – ü"));
        TitleInfo? TitleOf(int n) => n < 100 ? null : n < 250 ? first : second;
        for (int i = 0; i < 200; i++) Append(feed, i, TitleOf(i));
        using var pair = await SocketPair.ConnectAsync();
        var (server, client) = (pair.Server, pair.Client);
        var session = new ListenerSession("live", "127.0.0.1:1", icyMetadata: true);
        var output = new SocketListenerOutput(server, 4096);
        var stream = endpoint.StreamAsync(feed, session, output, CancellationToken.None);
        // The burst is more than the sockets hold: sends stop part-way, and go on from there at later publishes.
        await Wait.UntilAsync(() => output.HasUnsent, Timeout, "a send the socket took only part of");

        int burst = 64 * 1024 / FrameBytes, appended = 200;
        var collector = new IcyCollector();
        var demux = new IcyDemuxer(interval);
        var piece = new byte[1500];
        while (collector.AudioOut.Length < (appended - 200 + burst) * FrameBytes || appended < 300)
        {
            if (appended < 300) Append(feed, appended, TitleOf(appended++));
            feed.Output.Publish();
            using var deadline = new CancellationTokenSource(Timeout);
            int n = await client.ReceiveAsync(piece, SocketFlags.None, deadline.Token);
            Assert.True(n > 0, "the stream ended early");
            demux.Feed(piece.AsSpan(0, n), collector);
        }

        var frames = collector.AudioOut.ToArray().Chunk(FrameBytes).Select(f => f[0] | f[1] << 8).ToArray();
        Assert.Equal(Enumerable.Range(200 - burst, burst + 100), frames);
        // A block after every interval of audio, each title once, at the first boundary inside or after its first frame.
        Assert.Equal(collector.AudioOut.Length / interval, demux.Blocks);
        long At(int frame) => ((frame - (200 - burst)) * (long)FrameBytes / interval + 1) * interval;
        Assert.Equal([("First", At(100)), ("Second – ü", At(250))], collector.Titles);
        await Wait.UntilAsync(() => session.TakenOffset == feed.Output.BytesOut, Timeout, "the last send counted as taken");
        session.Close();
        Assert.False(await stream.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_listener_on_its_own_socket_that_stopped_reading_takes_no_more_and_is_dropped_by_the_queue_limit_though_its_send_is_blocked()
    {
        var (endpoint, feed) = Mount();
        for (int i = 0; i < 200; i++) Append(feed, i);
        using var pair = await SocketPair.ConnectAsync();
        var (server, client) = (pair.Server, pair.Client);
        var session = new ListenerSession("live", "127.0.0.1:1", icyMetadata: false);
        Assert.True(feed.TryAddListener(session));
        var output = new SocketListenerOutput(server, 4096);
        var stream = endpoint.StreamAsync(feed, session, output, CancellationToken.None);
        await Wait.UntilAsync(() => output.HasUnsent, Timeout, "the sockets to fill");
        for (int i = 200; i < 300; i++)
        {
            Append(feed, i);
            feed.Output.Publish();
        }
        Assert.False(stream.IsCompleted);

        feed.DropSlowListeners(16 * 1024);
        Assert.True(await stream.WaitAsync(Timeout), "dropped");
        // Its queue holds every frame published while it did not read: its stream took none of them.
        Assert.True(session.DroppedWithQueue > 100 * FrameBytes, $"queue {session.DroppedWithQueue}");
    }

    /// <summary>A connected pair of loopback sockets with small buffers: a few kilobytes fill them.</summary>
    private sealed record SocketPair(Socket Server, Socket Client) : IDisposable
    {
        public static async Task<SocketPair> ConnectAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen();
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await client.ConnectAsync(listener.LocalEndPoint!);
            return new SocketPair(await listener.AcceptAsync(), client);
        }

        public void Dispose()
        {
            Server.Dispose();
            Client.Dispose();
        }
    }

    private static (ListenerEndpoint, MountFeed) Mount(int icyMetaInt = IcyMetadata.DefaultInterval)
    {
        var options = new EdgeOptions { IcyMetaInt = icyMetaInt };
        var feed = new MountFeed("live", options, (_, _) => Task.CompletedTask, NullLogger.Instance);
        var wrapped = Options.Create(options);
        var catalog = new MountCatalog(wrapped, NullLoggerFactory.Instance, NullLogger<MountCatalog>.Instance);
        var auth = new ListenerAuthHook(wrapped, NullLogger<ListenerAuthHook>.Instance);
        return (new ListenerEndpoint(catalog, auth, wrapped, NullLogger<ListenerEndpoint>.Instance), feed);
    }

    // A frame that says its number in its first two bytes.
    private static void Append(MountFeed feed, int n, TitleInfo? title = null)
    {
        var frame = new byte[FrameBytes];
        (frame[0], frame[1]) = ((byte)n, (byte)(n >> 8));
        feed.Output.Append(frame, n * 26_122L, 26_122, title);
    }

    /// <summary>A connection's output that keeps what is flushed, and how much each flush carried.</summary>
    private sealed class FlushRecorder : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();
        private readonly List<int> _flushes = [];
        private int _unflushed;

        public int Written
        {
            get
            {
                lock (_flushes) return _buffer.WrittenCount - _unflushed;
            }
        }

        public byte[] Bytes
        {
            get
            {
                lock (_flushes) return _buffer.WrittenSpan[..(_buffer.WrittenCount - _unflushed)].ToArray();
            }
        }

        public List<int> Flushes
        {
            get
            {
                lock (_flushes) return [.. _flushes];
            }
        }

        public override void Advance(int bytes)
        {
            lock (_flushes)
            {
                _buffer.Advance(bytes);
                _unflushed += bytes;
            }
        }

        // Under the lock: growing the buffer copies what the test may be reading.
        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            lock (_flushes) return _buffer.GetMemory(sizeHint);
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        /// <summary>Flushes never complete (a peer that stopped reading) until <see cref="CancelPendingFlush"/>.</summary>
        public bool Stalled { get; init; }

        public int Stalls { get; private set; }

        private TaskCompletionSource<FlushResult>? _stall;

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            lock (_flushes)
            {
                _flushes.Add(_unflushed);
                _unflushed = 0;
                if (!Stalled) return ValueTask.FromResult(new FlushResult(false, false));
                _stall = new TaskCompletionSource<FlushResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                Stalls++;
                return new ValueTask<FlushResult>(_stall.Task);
            }
        }

        public override void CancelPendingFlush()
        {
            lock (_flushes) _stall?.TrySetResult(new FlushResult(isCanceled: true, isCompleted: false));
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }
}
