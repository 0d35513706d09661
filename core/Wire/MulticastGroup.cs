using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Davecast.Wire;

/// <summary>
/// A multicast group and port that carries packets with UDP framing, as given on the command line:
/// <c>239.1.2.3:9001</c> or <c>[ff15::1]:9001</c>. Publishers send to it; relays join it.
/// </summary>
public sealed record MulticastGroup(IPAddress Address, int Port)
{
    public IPEndPoint EndPoint => new(Address, Port);

    public override string ToString() =>
        Address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    public static bool TryParse(string text, out MulticastGroup? group, out string error)
    {
        group = null;
        text = text.Trim();
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not group:port (for example 239.255.0.1:9001)";
            return false;
        }
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':'))
        {
            error = $"'{text}': write an IPv6 group in brackets, as [ff15::1]:9001";
            return false;
        }
        if (!IPAddress.TryParse(host, out var address))
        {
            error = $"'{host}' is not an IP address (a multicast group is given by address, not by name)";
            return false;
        }
        if (!IsMulticast(address))
        {
            error = $"{address} is not a multicast address (IPv4 224.0.0.0/4, e.g. 239.x.x.x; IPv6 ff00::/8)";
            return false;
        }
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"'{text}' has no valid port (1-65535)";
            return false;
        }
        group = new MulticastGroup(address, port);
        error = "";
        return true;
    }

    public static bool IsMulticast(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => (address.GetAddressBytes()[0] & 0xF0) == 0xE0,
        AddressFamily.InterNetworkV6 => address.IsIPv6Multicast,
        _ => false,
    };

    /// <summary>Whether <paramref name="address"/> belongs to one of this machine's network interfaces.</summary>
    public static bool IsLocalInterface(IPAddress address) => InterfaceOf(address) is not null;

    /// <summary>
    /// A non-blocking, unconnected socket that sends to groups through the interface with address
    /// <paramref name="interfaceAddress"/>, <paramref name="ttl"/> hops far, and loops its datagrams back to
    /// receivers on this host (so a relay on the same machine, or on loopback, gets them).
    /// </summary>
    public static Socket OpenSender(AddressFamily family, IPAddress interfaceAddress, int ttl)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
        try
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, IPv6Index(interfaceAddress));
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, ttl);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, V4(interfaceAddress).GetAddressBytes());
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, ttl);
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A socket that has joined <paramref name="group"/> on the interface with address
    /// <paramref name="interfaceAddress"/> and receives the group's datagrams on its port. On Linux it is bound
    /// to the group's address, so it gets that group's datagrams only; the port may be shared with other sockets.
    /// </summary>
    public static Socket OpenReceiver(MulticastGroup group, IPAddress interfaceAddress, int receiveBufferBytes = 4 * 1024 * 1024)
    {
        var family = group.Address.AddressFamily;
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = receiveBufferBytes };
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            var any = family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
            socket.Bind(new IPEndPoint(OperatingSystem.IsLinux() ? group.Address : any, group.Port));
            Join(socket, group, interfaceAddress);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Makes a bound socket of the group's address family receive the group's datagrams.</summary>
    public static void Join(Socket socket, MulticastGroup group, IPAddress interfaceAddress)
    {
        if (group.Address.AddressFamily == AddressFamily.InterNetworkV6)
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group.Address, IPv6Index(interfaceAddress)));
        else
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group.Address, V4(interfaceAddress)));
    }

    // An IPv4 group needs the interface's IPv4 address; given an IPv6 one, use the same interface's IPv4 address.
    private static IPAddress V4(IPAddress interfaceAddress)
    {
        if (interfaceAddress.AddressFamily == AddressFamily.InterNetwork) return interfaceAddress;
        return InterfaceOf(interfaceAddress)?.GetIPProperties().UnicastAddresses
                .Select(u => u.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new SocketException((int)SocketError.AddressNotAvailable);
    }

    // An IPv6 group needs the interface's index.
    private static int IPv6Index(IPAddress interfaceAddress) =>
        InterfaceOf(interfaceAddress)?.GetIPProperties().GetIPv6Properties()?.Index
        ?? throw new SocketException((int)SocketError.AddressNotAvailable);

    private static NetworkInterface? InterfaceOf(IPAddress address) =>
        NetworkInterface.GetAllNetworkInterfaces()
            .FirstOrDefault(n => n.GetIPProperties().UnicastAddresses.Any(u => u.Address.Equals(address)));
}
