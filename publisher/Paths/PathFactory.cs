using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Paths;

/// <summary>Makes the paths of a run: for each relay in the order given, UDP then TCP; then each multicast group.</summary>
public static class PathFactory
{
    /// <summary>Seconds of packets a TCP path queues while its relay is slow or away.</summary>
    public const double TcpQueueSeconds = 2;

    public static List<IPacketPath> Create(PublisherOptions options, double packetsPerSecond, IReplySink replies, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger("Davecast.Publisher.Paths");
        int tcpCapacity = (int)Math.Ceiling(packetsPerSecond * TcpQueueSeconds) + 8;
        var paths = new List<IPacketPath>();
        for (int i = 0; i < options.Relays.Count; i++)
        {
            var relay = options.Relays[i];
            if (options.Transports.HasFlag(Transports.Udp)) paths.Add(new UdpPath(PathIds.For(i, PathTransport.Udp), relay, replies, logger));
            if (options.Transports.HasFlag(Transports.Tcp)) paths.Add(new TcpPath(PathIds.For(i, PathTransport.Tcp), relay, tcpCapacity, replies, logger));
        }
        for (int g = 0; g < options.Multicast.Count; g++)
        {
            paths.Add(new MulticastPath(
                PathIds.For(g, PathTransport.Multicast), options.Multicast[g], options.MulticastInterface, options.MulticastTtl, replies, logger));
        }
        return paths;
    }
}
