using System.Net;
using System.Net.Sockets;
using Davecast.Silo.Ingest;
using Davecast.Wire;
using Xunit;

namespace Davecast.Tests.Unit.Ingest;

public sealed class DatagramReaderTests
{
    [Fact]
    public void Reads_every_queued_datagram_in_order_with_its_length_and_sender()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.ReceiveBufferSize = 4 * 1024 * 1024;
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = receiver.LocalEndPoint!;
        // More than one batch: sizes vary, one is empty, one is longer than any packet may be.
        const int count = DatagramReader.BatchSize * 2 + 7;
        for (int i = 0; i < count; i++)
        {
            int size = i == 5 ? 0 : i == 9 ? Protocol.MaxPacketSize + 100 : 20 + i * 3;
            var d = new byte[size];
            if (size >= 4) BitConverter.TryWriteBytes(d, i);
            sender.SendTo(d, to);
        }

        using var reader = new DatagramReader(receiver);
        var address = new SocketAddress(AddressFamily.InterNetwork);
        int seen = 0;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (seen < count && DateTime.UtcNow < deadline)
        {
            int n = reader.Read();
            if (n == 0) { receiver.Poll(100_000, SelectMode.SelectRead); continue; }
            Assert.InRange(n, 1, DatagramReader.BatchSize);
            for (int k = 0; k < n; k++, seen++)
            {
                var d = reader.Datagram(k);
                if (seen == 5) Assert.Equal(0, d.Length);
                else if (seen == 9) Assert.True(d.Length > Protocol.MaxPacketSize, "an oversized datagram shows as oversized");
                else
                {
                    Assert.Equal(20 + seen * 3, d.Length);
                    Assert.Equal(seen, BitConverter.ToInt32(d));
                }
                reader.CopySource(k, address);
                Assert.Equal(sender.LocalEndPoint, new IPEndPoint(IPAddress.Any, 0).Create(address));
            }
        }
        Assert.Equal(count, seen);
        Assert.Equal(0, reader.Read());
    }
}
