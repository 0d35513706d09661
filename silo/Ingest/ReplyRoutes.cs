using System.Net;
using System.Net.Sockets;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>Where a reply to the packet being handled goes: back by the path the packet came.</summary>
internal abstract class ReplyRoute
{
    /// <summary>Sends or queues one packet; returns an error, or null.</summary>
    public abstract string? Send(ReadOnlySpan<byte> packet);

    public abstract string Describe();
}

/// <summary>To the address the current datagram came from.</summary>
internal sealed class UdpReply(Socket receiver, Socket sender) : ReplyRoute
{
    public SocketAddress Address { get; } = new(receiver.AddressFamily, SocketAddress.GetMaximumAddressSize(receiver.AddressFamily));

    public override string? Send(ReadOnlySpan<byte> packet)
    {
        try
        {
            sender.SendTo(packet, SocketFlags.None, Address);
            return null;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode.ToString();
        }
    }

    public override string Describe()
    {
        var any = new IPEndPoint(receiver.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        return $"udp {any.Create(Address)}";
    }
}

/// <summary>Back on the connection the packet came by, once the packets read so far are handled.</summary>
internal sealed class TcpReply(EndPoint? remote) : ReplyRoute
{
    /// <summary>Replies waiting for the socket; beyond this the publisher reads nothing back, and more are dropped.</summary>
    private const int MaxPending = 64 * 1024;

    private byte[] _pending = [];
    private int _length;

    public override string? Send(ReadOnlySpan<byte> packet)
    {
        int framed = StreamFraming.PrefixSize + packet.Length;
        if (_length + framed > MaxPending) return "the publisher reads no replies";
        if (_pending.Length < _length + framed) Array.Resize(ref _pending, Math.Max(_length + framed, 2 * _pending.Length));
        StreamFraming.WritePrefix(_pending.AsSpan(_length), packet.Length);
        packet.CopyTo(_pending.AsSpan(_length + StreamFraming.PrefixSize));
        _length += framed;
        return null;
    }

    /// <summary>Replies the socket did not take yet.</summary>
    public bool Waiting => _length > 0;

    /// <summary>Sends what the socket takes now, without blocking; false when the connection failed.</summary>
    public bool Flush(Socket socket)
    {
        if (_length == 0) return true;
        int sent = socket.Send(_pending.AsSpan(0, _length), SocketFlags.None, out var error);
        if (error is not (SocketError.Success or SocketError.WouldBlock)) return false;
        if (sent > 0)
        {
            _pending.AsSpan(sent, _length - sent).CopyTo(_pending);
            _length -= sent;
        }
        return true;
    }

    public override string Describe() => $"tcp {remote}";
}
