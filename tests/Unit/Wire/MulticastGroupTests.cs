using System.Net;
using System.Net.Sockets;
using Davecast.Wire;

namespace Davecast.Tests.Wire;

public sealed class MulticastGroupTests
{
    [Theory]
    [InlineData("239.255.0.1:9002", "239.255.0.1", 9002)]
    [InlineData(" 224.0.1.7:1 ", "224.0.1.7", 1)]
    [InlineData("[ff15::1]:9002", "ff15::1", 9002)]
    public void Groups_parse(string text, string address, int port)
    {
        Assert.True(MulticastGroup.TryParse(text, out var group, out var error), error);
        Assert.Equal(IPAddress.Parse(address), group!.Address);
        Assert.Equal(port, group.Port);
    }

    [Theory]
    [InlineData("127.0.0.1:9002", "not a multicast address")]
    [InlineData("10.1.2.3:9002", "not a multicast address")]
    [InlineData("239.255.0.1", "group:port")]
    [InlineData("239.255.0.1:0", "port")]
    [InlineData("239.255.0.1:70000", "port")]
    [InlineData("ff15::1:9002", "brackets")]
    [InlineData("group.example:9002", "not an IP address")]
    public void Bad_groups_say_why(string text, string why)
    {
        Assert.False(MulticastGroup.TryParse(text, out _, out var error));
        Assert.Contains(why, error);
    }

    [Fact]
    public void A_datagram_sent_to_a_group_on_loopback_reaches_a_socket_that_joined_it()
    {
        // Works on a loopback without the MULTICAST flag: the sender names the interface.
        var group = new MulticastGroup(IPAddress.Parse($"239.255.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}"), Ports.Free());
        using var receiver = MulticastGroup.OpenReceiver(group, IPAddress.Loopback);
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var sender = MulticastGroup.OpenSender(AddressFamily.InterNetwork, IPAddress.Loopback, ttl: 1);
        sender.SendTo("hello"u8, SocketFlags.None, group.EndPoint);
        receiver.ReceiveTimeout = 5000;
        var buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = receiver.ReceiveFrom(buffer, ref from);
        Assert.Equal("hello"u8.ToArray(), buffer[..n]);
        Assert.Equal(IPAddress.Loopback, ((IPEndPoint)from).Address);
    }

    [Fact]
    public void The_loopback_address_is_a_local_interface_and_a_foreign_one_is_not()
    {
        Assert.True(MulticastGroup.IsLocalInterface(IPAddress.Loopback));
        Assert.False(MulticastGroup.IsLocalInterface(IPAddress.Parse("192.0.2.77")));
    }
}
