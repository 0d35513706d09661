using System.Globalization;
using System.Net;
using Davecast.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace Davecast.Edge.Connections;

/// <summary>
/// Kestrel connection middleware in front of every other on the edge's port: counts each connection, idle ones
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

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (_counts.TryOpen(address) is { } refusal)
        {
            // Closed before a byte is read: a refused stranger costs an accept and a close.
            Refusals.Add(refusal, connection.RemoteEndPoint?.ToString() ?? "unknown");
            return;
        }
        try
        {
            await next(connection);
        }
        finally
        {
            _counts.Close(address);
        }
    }

    /// <summary>A connection sent no whole request head within <see cref="EdgeOptions.HeaderTimeout"/> and is closed.</summary>
    public void HeaderTimedOut(ConnectionContext connection) =>
        Refusals.Add(EdgeConnectionRefusal.HeaderTimeout, connection.RemoteEndPoint?.ToString() ?? "unknown");

    public void Dispose() => Refusals.Dispose();
}
