using System.Globalization;
using Davecast.Net;

namespace Davecast.Silo.Ingest;

/// <summary>The guard of the ingest's TCP port: <see cref="RelayOptions.IngestMaxConnections"/> and <see cref="RelayOptions.IngestMaxConnectionsPerAddress"/>.</summary>
public static class IngestGate
{
    public static PortGate<TcpRefusal> Create(RelayOptions o, ILogger logger) => new(
        "Ingest port (--ingest-port)",
        new ConnectionCounts(o.IngestMaxConnections, o.IngestMaxConnectionsPerAddress),
        TcpRefusal.TotalLimit,
        TcpRefusal.AddressLimit,
        reason => reason switch
        {
            TcpRefusal.AddressLimit => $"over --ingest-max-connections-per-address ({o.IngestMaxConnectionsPerAddress})",
            TcpRefusal.TotalLimit => $"over --ingest-max-connections ({o.IngestMaxConnections})",
            _ => $"with no packet with a valid tag within --ingest-auth-timeout ({o.IngestAuthTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s)",
        },
        logger);
}
