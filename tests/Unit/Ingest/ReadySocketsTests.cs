using System.Net;
using System.Net.Sockets;
using Davecast.Silo.Ingest;
using Xunit;

namespace Davecast.Tests.Unit.Ingest;

public sealed class ReadySocketsTests
{
    [Fact]
    public void Only_sockets_with_data_or_closed_by_the_peer_are_ready()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(8);
        var clients = new List<Socket>();
        var accepted = new List<Socket>();
        using var set = new ReadySockets<string>();
        for (int i = 0; i < 4; i++)
        {
            var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            c.Connect(listener.LocalEndPoint!);
            clients.Add(c);
            var a = listener.Accept();
            accepted.Add(a);
            set.Add(a, $"conn{i}");
        }
        try
        {
            var ready = new List<string>();
            set.Collect(ready);
            Assert.Empty(ready);

            clients[1].Send([1, 2, 3]);
            clients[3].Shutdown(SocketShutdown.Send);
            Assert.True(WaitFor(set, ready, 2), $"ready: {string.Join(", ", ready)}");
            Assert.Equal(["conn1", "conn3"], ready.Order());

            // Level-triggered: still ready until read; forgotten once removed.
            set.Remove(ready.Single(r => r == "conn3")); // the same instance: members are known by reference
            ready.Clear();
            set.Collect(ready);
            Assert.Equal(["conn1"], ready);
            accepted[1].Receive(new byte[16]);
            ready.Clear();
            set.Collect(ready);
            Assert.Empty(ready);
        }
        finally
        {
            foreach (var s in clients.Concat(accepted)) s.Dispose();
        }
    }

    private static bool WaitFor(ReadySockets<string> set, List<string> ready, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        do
        {
            ready.Clear();
            set.Collect(ready);
            if (ready.Count >= count) return true;
            Thread.Sleep(5);
        } while (DateTime.UtcNow < deadline);
        return false;
    }
}
