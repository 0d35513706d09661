using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Davecast.Wire;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Paths;

/// <summary>
/// One packet per datagram to a multicast group, which any number of relays may have joined. The socket is
/// non-blocking and unconnected: a full buffer drops the packet (counted), and relays' replies, which come from
/// their own unicast addresses, are received on it and handed to the reply sink.
/// </summary>
public sealed class MulticastPath : IPacketPath
{
    private readonly Socket? _socket;
    private readonly SocketAddress _group;
    private readonly IReplySink _replies;
    private readonly ILogger _logger;
    private readonly Task _receive = Task.CompletedTask;
    private readonly SendHealth _health;

    public MulticastPath(byte pathId, MulticastGroup group, IPAddress interfaceAddress, int ttl, IReplySink replies, ILogger logger)
    {
        PathId = pathId;
        Name = $"multicast {group}";
        _group = group.EndPoint.Serialize();
        _replies = replies;
        _logger = logger;
        _health = new SendHealth(pathId, Name, logger);
        try
        {
            _socket = MulticastGroup.OpenSender(group.Address.AddressFamily, interfaceAddress, ttl);
            _receive = ReceiveAsync(_socket);
            _logger.LogInformation("Path {PathId} ({Path}) sends by interface {Interface}, TTL {Ttl}", PathId, Name, interfaceAddress, ttl);
        }
        catch (SocketException e)
        {
            _logger.LogError("Path {PathId} ({Path}) cannot open on interface {Interface}: {Error}", PathId, Name, interfaceAddress, e.Message);
        }
    }

    public byte PathId { get; }

    public string Name { get; }

    public PathStats Stats { get; } = new();

    public void Send(ReadOnlySpan<byte> packet)
    {
        if (_socket is null)
        {
            Stats.Drop();
            return;
        }
        SocketError error;
        try
        {
            // The pre-serialized address: no allocation per packet.
            _socket.SendTo(packet, SocketFlags.None, _group);
            error = SocketError.Success;
        }
        catch (SocketException e)
        {
            error = e.SocketErrorCode;
        }
        catch (ObjectDisposedException)
        {
            Stats.Drop();
            return;
        }

        if (error == SocketError.Success)
        {
            Stats.Sent(packet.Length);
            _health.Succeeded();
            return;
        }
        Stats.Drop();
        if (error != SocketError.WouldBlock) _health.Failed(error);
    }

    private async Task ReceiveAsync(Socket socket)
    {
        var buffer = new byte[Protocol.MaxPacketSize];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (true)
        {
            try
            {
                var result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any);
                var from = (IPEndPoint)result.RemoteEndPoint;
                _replies.Receive(buffer.AsSpan(0, result.ReceivedBytes), new RelayAddress(from.Address.ToString(), from.Port).ToString());
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.MessageSize)
            {
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }

    public Task CompleteAsync(TimeSpan timeout) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        await _receive;
    }
}
