using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Davecast.Wire;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Paths;

/// <summary>
/// Length-prefixed packets over one TCP connection. Packets wait in a bounded queue (the oldest is dropped,
/// and counted, when it is full) that a send loop of its own empties, so a slow or dead relay delays no
/// other path. The loop connects, and reconnects with exponential backoff, by itself. What the relay sends back
/// (length-prefixed packets too) goes to the reply sink.
/// </summary>
public sealed class TcpPath : IPacketPath
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    // A send that has not completed in this time means the relay or the network is stuck: reconnect.
    private static readonly TimeSpan SendStall = TimeSpan.FromSeconds(5);
    // A connection that lasted this long resets the backoff.
    private static readonly TimeSpan StableConnection = TimeSpan.FromSeconds(2);

    private readonly RelayAddress _relay;
    private readonly string _relayName;
    private readonly IReplySink _replies;
    private readonly ILogger _logger;
    private readonly Channel<QueuedPacket> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _batch = new byte[64 * 1024];
    private readonly Task _loop;
    private QueuedPacket? _carry;
    private string? _lossReason;

    /// <param name="capacity">Packets the queue holds: about two seconds' worth.</param>
    public TcpPath(byte pathId, RelayAddress relay, int capacity, IReplySink replies, ILogger logger)
    {
        PathId = pathId;
        Name = $"tcp {relay}";
        _relay = relay;
        _relayName = relay.ToString();
        _replies = replies;
        _logger = logger;
        _queue = Channel.CreateBounded<QueuedPacket>(
            new BoundedChannelOptions(Math.Max(capacity, 4)) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped =>
            {
                ArrayPool<byte>.Shared.Return(dropped.Buffer);
                Stats.Drop();
            });
        _loop = Task.Run(RunAsync);
    }

    public byte PathId { get; }

    public string Name { get; }

    public PathStats Stats { get; } = new();

    public int QueueLength => _queue.Reader.Count;

    public bool IsConnected { get; private set; }

    public void Send(ReadOnlySpan<byte> packet)
    {
        int length = StreamFraming.PrefixSize + packet.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        StreamFraming.WritePrefix(buffer, packet.Length);
        packet.CopyTo(buffer.AsSpan(StreamFraming.PrefixSize));
        if (!_queue.Writer.TryWrite(new QueuedPacket(buffer, length)))
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Stats.Drop();
        }
    }

    public async Task CompleteAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_loop, Task.Delay(timeout)) != _loop)
        {
            _logger.LogWarning("Path {PathId} ({Path}): {Queued} packets not sent in {Timeout} s", PathId, Name, QueueLength, timeout.TotalSeconds);
        }
        await StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await StopAsync();
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) _stop.Cancel();
        await _loop;
        // What is left was never sent.
        if (_carry is { } carry)
        {
            ArrayPool<byte>.Shared.Return(carry.Buffer);
            Stats.Drop();
            _carry = null;
        }
        while (_queue.Reader.TryRead(out var left))
        {
            ArrayPool<byte>.Shared.Return(left.Buffer);
            Stats.Drop();
        }
    }

    private async Task RunAsync()
    {
        var backoff = InitialBackoff;
        int failures = 0;
        bool connectedBefore = false;
        try
        {
            while (!_stop.IsCancellationRequested && !(_queue.Reader.Completion.IsCompleted && _carry is null))
            {
                Socket socket;
                try
                {
                    socket = await ConnectAsync();
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    failures++;
                    var error = e switch
                    {
                        SocketException se => se.SocketErrorCode.ToString(),
                        OperationCanceledException => "timed out",
                        _ => e.Message,
                    };
                    if (failures == 1)
                        _logger.LogWarning("Path {PathId} ({Path}) cannot connect: {Error}; retrying with backoff", PathId, Name, error);
                    else
                        _logger.LogDebug("Path {PathId} ({Path}) connect attempt {Attempt} failed: {Error}", PathId, Name, failures, error);
                    await Task.Delay(backoff, _stop.Token);
                    backoff = Min(backoff * 2, MaxBackoff);
                    continue;
                }

                if (connectedBefore)
                {
                    Stats.Reconnect();
                    _logger.LogInformation("Path {PathId} ({Path}) reconnected after {Attempts} attempts; {Dropped} packets dropped so far",
                        PathId, Name, failures + 1, Stats.Dropped);
                }
                else
                {
                    _logger.LogInformation("Path {PathId} ({Path}) connected to {Endpoint}", PathId, Name, socket.RemoteEndPoint);
                }
                connectedBefore = true;
                failures = 0;

                long connectedAt = Stopwatch.GetTimestamp();
                IsConnected = true;
                var reason = await PumpAsync(socket);
                IsConnected = false;
                if (reason is null) return;
                if (Stopwatch.GetElapsedTime(connectedAt) >= StableConnection) backoff = InitialBackoff;
                _logger.LogWarning("Path {PathId} ({Path}) lost its connection: {Reason}; reconnecting in {Delay} ms",
                    PathId, Name, reason, backoff.TotalMilliseconds);
                await Task.Delay(backoff, _stop.Token);
                backoff = Min(backoff * 2, MaxBackoff);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task<Socket> ConnectAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ConnectTimeout);
        var addresses = IPAddress.TryParse(_relay.Host, out var ip)
            ? [ip]
            : (await Dns.GetHostAddressesAsync(_relay.Host, timeout.Token)).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).ToArray();
        // Dual-mode where the system has IPv6, so one socket reaches IPv4 and IPv6 addresses.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, _relay.Port, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Sends queued packets until the queue is completed and empty (null) or the connection fails (the reason).
    private async Task<string?> PumpAsync(Socket socket)
    {
        _lossReason = null;
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var watch = WatchAsync(socket, connection);
        int count = 0;
        try
        {
            // No token on the wait: the channel then reuses one waiter, where a cancellable wait allocates one per packet.
            // A connection lost meanwhile is seen at the next packet (a heartbeat at the latest); stopping completes the queue.
            while (_carry is not null || await _queue.Reader.WaitToReadAsync())
            {
                connection.Token.ThrowIfCancellationRequested();
                int length = Fill(out count);
                if (length == 0) continue;
                connection.CancelAfter(SendStall);
                await socket.SendAsync(_batch.AsMemory(0, length), SocketFlags.None, connection.Token);
                connection.CancelAfter(Timeout.Infinite);
                Stats.Sent(count, length);
                count = 0;
            }
            return null;
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            return _lossReason ?? $"a send stalled for {SendStall.TotalSeconds} s";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode.ToString();
        }
        finally
        {
            // Packets of a batch that failed may or may not have arrived: count them as dropped.
            Stats.Drop(count);
            if (!connection.IsCancellationRequested) connection.Cancel();
            socket.Dispose();
            await watch;
        }
    }

    // Copies as many queued packets as fit into the batch buffer.
    private int Fill(out int count)
    {
        int length = 0;
        count = 0;
        while (true)
        {
            QueuedPacket packet;
            if (_carry is { } carry)
            {
                packet = carry;
                _carry = null;
            }
            else if (!_queue.Reader.TryRead(out packet))
            {
                return length;
            }

            if (length + packet.Length > _batch.Length)
            {
                _carry = packet;
                return length;
            }
            packet.Buffer.AsSpan(0, packet.Length).CopyTo(_batch.AsSpan(length));
            ArrayPool<byte>.Shared.Return(packet.Buffer);
            length += packet.Length;
            count++;
        }
    }

    // Reads the relay's replies; a read that ends tells that the relay closed or reset the connection.
    private async Task WatchAsync(Socket socket, CancellationTokenSource connection)
    {
        var buffer = new byte[StreamFraming.PrefixSize + Protocol.MaxPacketSize];
        int filled = 0;
        bool garbled = false;
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, connection.Token)) > 0)
            {
                // After a bad length prefix nothing more can be framed: ignore the rest of this connection's replies.
                if (garbled) continue;
                filled += n;
                int at = TakeReplies(buffer.AsSpan(0, filled), out garbled);
                buffer.AsSpan(at, filled - at).CopyTo(buffer);
                filled = garbled ? 0 : filled - at;
            }
            _lossReason ??= "closed by the relay";
        }
        catch (SocketException e)
        {
            _lossReason ??= e.SocketErrorCode.ToString();
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        connection.Cancel();
    }

    // Hands over each whole packet; returns the bytes used.
    private int TakeReplies(ReadOnlySpan<byte> data, out bool garbled)
    {
        garbled = false;
        int at = 0;
        while (data.Length - at >= StreamFraming.PrefixSize)
        {
            if (!StreamFraming.TryReadLength(data[at..], out int length))
            {
                garbled = true;
                _logger.LogWarning("Path {PathId} ({Path}): the relay sent a bad length prefix; ignoring its replies on this connection", PathId, Name);
                return at;
            }
            if (data.Length - at < StreamFraming.PrefixSize + length) break;
            _replies.Receive(data.Slice(at + StreamFraming.PrefixSize, length), _relayName);
            at += StreamFraming.PrefixSize + length;
        }
        return at;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private readonly record struct QueuedPacket(byte[] Buffer, int Length);
}
