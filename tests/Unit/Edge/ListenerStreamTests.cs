using System.Buffers;
using System.IO.Pipelines;
using Davecast.Edge;
using Davecast.Edge.Listeners;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Davecast.Tests.Edge;

/// <summary>A listener's stream (<see cref="ListenerEndpoint.StreamAsync"/>): what reaches its connection, in what flushes, and how it ends.</summary>
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
        var stream = endpoint.StreamAsync(feed, session, writer, connection.Token);

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
            var stream = endpoint.StreamAsync(feed, session, writer, CancellationToken.None);
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
        var stream = endpoint.StreamAsync(feed, session, writer, CancellationToken.None);
        await Wait.UntilAsync(() => writer.Stalls == 1, Timeout, "the first flush");
        Assert.False(stream.IsCompleted);
        session.Drop(600_000);
        Assert.True(await stream.WaitAsync(Timeout));
    }

    private static (ListenerEndpoint, MountFeed) Mount()
    {
        var options = new EdgeOptions();
        var feed = new MountFeed("live", options, (_, _) => Task.CompletedTask, NullLogger.Instance);
        var wrapped = Options.Create(options);
        var catalog = new MountCatalog(wrapped, NullLoggerFactory.Instance, NullLogger<MountCatalog>.Instance);
        var auth = new ListenerAuthHook(wrapped, NullLogger<ListenerAuthHook>.Instance);
        return (new ListenerEndpoint(catalog, auth, wrapped, NullLogger<ListenerEndpoint>.Instance), feed);
    }

    // A frame that says its number in its first two bytes.
    private static void Append(MountFeed feed, int n)
    {
        var frame = new byte[FrameBytes];
        (frame[0], frame[1]) = ((byte)n, (byte)(n >> 8));
        feed.Output.Append(frame, n * 26_122L, 26_122);
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
