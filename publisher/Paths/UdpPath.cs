using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Paths;

/// <summary>
/// One packet per datagram, through a connected non-blocking socket: a full socket buffer or an ICMP error
/// drops the packet (counted) instead of waiting. A host name is resolved off the sending thread, and again
/// every few seconds while that fails. A receive loop hands what the relay sends back to the reply sink.
/// </summary>
public sealed class UdpPath : IPacketPath
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly RelayAddress _relay;
    private readonly string _relayName;
    private readonly IReplySink _replies;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Socket? _socket;
    private long _retryAt;
    private bool _opening;
    private bool _disposed;
    private readonly SendHealth _health;
    private int _openFailures;

    public UdpPath(byte pathId, RelayAddress relay, IReplySink replies, ILogger logger)
    {
        PathId = pathId;
        Name = $"udp {relay}";
        _relay = relay;
        _relayName = relay.ToString();
        _replies = replies;
        _logger = logger;
        _health = new SendHealth(pathId, Name, logger);
        try
        {
            if (IPAddress.TryParse(relay.Host, out var address)) Connect(address);
            else Open();
        }
        catch (SocketException e)
        {
            _logger.LogWarning("Path {PathId} ({Path}) cannot open: {Error}", PathId, Name, e.Message);
        }
    }

    public byte PathId { get; }

    public string Name { get; }

    public PathStats Stats { get; } = new();

    public void Send(ReadOnlySpan<byte> packet)
    {
        var socket = Volatile.Read(ref _socket);
        if (socket is null)
        {
            Open();
            Stats.Drop();
            return;
        }

        socket.Send(packet, SocketFlags.None, out var error);
        if (error == SocketError.Success)
        {
            Stats.Sent(packet.Length);
            _health.Succeeded();
            return;
        }

        Stats.Drop();
        // WouldBlock: the socket buffer is full. Anything else (refused, unreachable) is worth a line, once.
        if (error == SocketError.WouldBlock) return;
        _health.Failed(error);
    }

    // Replies from the relay. ICMP errors (nobody listening) surface here as well as on sends.
    private async Task ReceiveAsync(Socket socket)
    {
        var buffer = new byte[Wire.Protocol.MaxPacketSize];
        while (true)
        {
            try
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                _replies.Receive(buffer.AsSpan(0, n), _relayName);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset
                or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize)
            {
                if (e.SocketErrorCode != SocketError.MessageSize) _health.Failed(e.SocketErrorCode);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // closed
            }
        }
    }

    // Starts resolving the host in the background, unless that is under way or failed a moment ago.
    private void Open()
    {
        lock (_gate)
        {
            if (_opening || _disposed || _socket is not null || Stopwatch.GetTimestamp() < _retryAt) return;
            _opening = true;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(_relay.Host);
                var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
                    ?? throw new SocketException((int)SocketError.HostNotFound);
                Connect(address);
            }
            catch (SocketException e)
            {
                if (Interlocked.Increment(ref _openFailures) == 1)
                    _logger.LogWarning("Path {PathId} ({Path}) cannot open: {Error}; retrying every {Interval} s", PathId, Name, e.Message, RetryInterval.TotalSeconds);
                else
                    _logger.LogDebug("Path {PathId} ({Path}) cannot open: {Error}", PathId, Name, e.Message);
                lock (_gate) _retryAt = Stopwatch.GetTimestamp() + (long)(RetryInterval.TotalSeconds * Stopwatch.Frequency);
            }
            finally
            {
                lock (_gate) _opening = false;
            }
        });
    }

    private void Connect(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        socket.Connect(new IPEndPoint(address, _relay.Port));
        lock (_gate)
        {
            if (_disposed)
            {
                socket.Dispose();
                return;
            }
            Volatile.Write(ref _socket, socket);
        }
        _ = ReceiveAsync(socket);
        _logger.LogInformation("Path {PathId} ({Path}) sends to {Endpoint}", PathId, Name, socket.RemoteEndPoint);
    }

    public Task CompleteAsync(TimeSpan timeout) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            _socket?.Dispose();
            _socket = null;
        }
        return ValueTask.CompletedTask;
    }
}
