using System.Globalization;
using System.Net;
using Davecast.Http;
using Davecast.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Connections;

/// <summary>
/// The edge port's connection limits, asked first by <see cref="IcecastConnectionHandler"/> (not a middleware of its
/// own: a listener would hold one more async state machine for its whole life): counts each connection, idle ones
/// included, from accept to close, and closes at once one over <see cref="EdgeOptions.MaxConnections"/> or
/// <see cref="EdgeOptions.MaxConnectionsPerAddress"/> (<see cref="PortGate{TReason}"/>).
/// </summary>
public sealed class ConnectionGate(IOptions<EdgeOptions> options, ILogger<ConnectionGate> logger) : IDisposable
{
    private readonly PortGate<EdgeConnectionRefusal> _gate = new(
        "Edge port (--port)",
        new ConnectionCounts(options.Value.MaxConnections, options.Value.MaxConnectionsPerAddress, options.Value.ProxyAddresses),
        EdgeConnectionRefusal.MaxConnections,
        EdgeConnectionRefusal.MaxPerAddress,
        reason => reason switch
        {
            EdgeConnectionRefusal.MaxConnections => $"over --max-connections ({options.Value.MaxConnections})",
            EdgeConnectionRefusal.MaxPerAddress => $"over --max-connections-per-address ({options.Value.MaxConnectionsPerAddress})",
            _ => $"with no whole request head within --header-timeout ({options.Value.HeaderTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)",
        },
        logger);

    public PortRefusals<EdgeConnectionRefusal> Refusals => _gate.Refusals;

    /// <summary>Connections open now, idle ones included.</summary>
    public int Open => _gate.Open;

    /// <summary>The <c>reason</c> label of a refusal in /metrics.</summary>
    public static string Label(EdgeConnectionRefusal reason) => reason switch
    {
        EdgeConnectionRefusal.MaxConnections => "max_connections",
        EdgeConnectionRefusal.MaxPerAddress => "max_per_address",
        _ => "header_timeout",
    };

    /// <summary>
    /// Counts a new connection in, or refuses it (the caller then closes it before reading a byte: a refused stranger
    /// costs an accept and a close). A connection counted in must be given back with <see cref="Close"/>.
    /// </summary>
    public bool TryOpen(ConnectionContext connection, out IPAddress? address)
    {
        address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        return _gate.TryOpen(address, connection.RemoteEndPoint?.ToString() ?? "unknown");
    }

    public void Close(IPAddress? address) => _gate.Close(address);

    /// <summary>A connection sent no whole request head within <see cref="EdgeOptions.HeaderTimeout"/> and is closed.</summary>
    public void HeaderTimedOut(ConnectionContext connection) =>
        _gate.Refuse(EdgeConnectionRefusal.HeaderTimeout, connection.RemoteEndPoint?.ToString() ?? "unknown");

    public void Dispose() => _gate.Dispose();
}
