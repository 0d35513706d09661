using System.Globalization;
using System.Net;
using Davecast.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Connections;

/// <summary>
/// The edge port's connection limits, asked first by <see cref="IcecastConnectionHandler"/> (not a middleware of its
/// own: a listener would hold one more async state machine for its whole life): counts each connection, idle ones
/// included, from accept to close, and closes at once one over <see cref="EdgeOptions.MaxConnections"/> or
/// <see cref="EdgeOptions.MaxConnectionsPerAddress"/>. Refusals are counted by reason for /metrics and logged once per
/// <see cref="LogInterval"/>.
/// </summary>
public sealed class ConnectionGate : IDisposable
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ConnectionCounts _counts;

    public ConnectionGate(IOptions<EdgeOptions> options, ILogger<ConnectionGate> logger)
    {
        var o = options.Value;
        _counts = new ConnectionCounts(o.MaxConnections, o.MaxConnectionsPerAddress, o.ProxyAddresses);
        Refusals = new PortRefusals<EdgeConnectionRefusal>("Edge port (--port)", reason => reason switch
        {
            EdgeConnectionRefusal.MaxConnections => $"over --max-connections ({o.MaxConnections})",
            EdgeConnectionRefusal.MaxPerAddress => $"over --max-connections-per-address ({o.MaxConnectionsPerAddress})",
            _ => $"with no whole request head within --header-timeout ({o.HeaderTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)",
        }, logger, LogInterval);
    }

    public PortRefusals<EdgeConnectionRefusal> Refusals { get; }

    /// <summary>Connections open now, idle ones included.</summary>
    public int Open => _counts.Open;

    /// <summary>The <c>reason</c> label of a refusal in /metrics.</summary>
    public static string Label(EdgeConnectionRefusal reason) => reason switch
    {
        EdgeConnectionRefusal.MaxConnections => "max_connections",
        EdgeConnectionRefusal.MaxPerAddress => "max_per_address",
        _ => "header_timeout",
    };

    /// <summary>
    /// Counts a new connection in, or refuses it (the caller then closes it before reading a byte). A connection
    /// counted in must be given back with <see cref="Close"/>.
    /// </summary>
    public bool TryOpen(ConnectionContext connection, out IPAddress? address)
    {
        address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (_counts.TryOpen(address) is not { } refusal) return true;
        Refusals.Add(refusal, connection.RemoteEndPoint?.ToString() ?? "unknown");
        return false;
    }

    public void Close(IPAddress? address) => _counts.Close(address);

    public void HeaderTimedOut(ConnectionContext connection) =>
        Refusals.Add(EdgeConnectionRefusal.HeaderTimeout, connection.RemoteEndPoint?.ToString() ?? "unknown");

    public void Dispose() => Refusals.Dispose();
}
