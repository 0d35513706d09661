using System.Net;
using System.Net.Sockets;

namespace Davecast.Tests.Support;

/// <summary>Free loopback ports, free on both TCP and UDP at the time of asking.</summary>
public static class Ports
{
    private static readonly HashSet<int> Handed = [];

    public static int Free()
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            using var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            int port = ((IPEndPoint)tcp.LocalEndpoint).Port;
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, port));
            }
            catch (SocketException)
            {
                continue;
            }
            lock (Handed)
                if (Handed.Add(port)) return port;
        }
        throw new InvalidOperationException("no free port");
    }
}
