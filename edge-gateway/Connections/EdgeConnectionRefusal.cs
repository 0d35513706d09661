namespace Davecast.Edge.Connections;

/// <summary>Why the edge closed a connection before serving it; each is a <c>reason</c> of <c>davecast_edge_connections_closed_total</c>.</summary>
public enum EdgeConnectionRefusal
{
    /// <summary>The edge had <see cref="EdgeOptions.MaxConnections"/> open (<c>max_connections</c>).</summary>
    MaxConnections,

    /// <summary>The client's address had <see cref="EdgeOptions.MaxConnectionsPerAddress"/> open (<c>max_per_address</c>).</summary>
    MaxPerAddress,

    /// <summary>No whole request head within <see cref="EdgeOptions.HeaderTimeout"/> (<c>header_timeout</c>).</summary>
    HeaderTimeout,
}
