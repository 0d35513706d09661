namespace Davecast.Silo.Ingest;

/// <summary>Why the ingest closed a TCP connection it did not want; each is a <c>reason</c> of <c>davecast_relay_ingest_connections_refused_total</c>.</summary>
public enum TcpRefusal
{
    /// <summary>Its source already held <see cref="RelayOptions.IngestMaxConnectionsPerAddress"/> connections (<c>address_limit</c>).</summary>
    AddressLimit,

    /// <summary>The ingest already held <see cref="RelayOptions.IngestMaxConnections"/> connections (<c>total_limit</c>).</summary>
    TotalLimit,

    /// <summary>No packet with a valid tag came within <see cref="RelayOptions.IngestAuthTimeout"/> (<c>no_valid_packet</c>).</summary>
    NoValidPacket,
}
