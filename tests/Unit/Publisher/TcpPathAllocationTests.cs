using System.Net;
using System.Net.Sockets;
using Davecast.Publisher;
using Davecast.Publisher.Paths;
using Davecast.Tests.Support;
using Davecast.Wire;
using Microsoft.Extensions.Logging.Abstractions;

namespace Davecast.Tests.Publisher;

[Collection(AllocationCollection.Name)]
public sealed class TcpPathAllocationTests
{
    private const int Packets = 500;

    [Fact]
    public async Task Sending_one_packet_at_a_time_allocates_nothing_per_packet()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var relay = new RelayAddress("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port);
        await using var path = new TcpPath(1, relay, capacity: 64, NoReplies.Instance, NullLogger.Instance);
        using var ingest = await listener.AcceptAsync();
        var packet = new byte[300];
        var received = new byte[StreamFraming.PrefixSize + packet.Length];

        // Each packet is read, and a moment passes, before the next is queued: as at a frame's pace, the send loop has
        // gone back to waiting for the queue when a packet comes.
        void SendOneByOne(int count)
        {
            for (int i = 0; i < count; i++)
            {
                path.Send(packet);
                for (int got = 0; got < received.Length;) got += ingest.Receive(received.AsSpan(got));
                Thread.Sleep(1);
            }
        }

        // Warm-up: the JIT, the array pool, the socket's reusable send state.
        SendOneByOne(100);
        // The send loop runs on pool threads: counted for the whole process, alone (AllocationCollection). What else the
        // process does (a thread the pool adds on a loaded machine) only adds: the least of three rounds is the path's.
        long perPacket = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            SendOneByOne(Packets);
            perPacket = Math.Min(perPacket, (GC.GetTotalAllocatedBytes(precise: true) - before) / Packets);
        }

        // A wait with a token allocated a channel waiter, about 100 B per packet; the slack is for the test host and runtime.
        Assert.True(perPacket < 48, $"{perPacket} B allocated per packet");
    }
}
