using System.Net;
using Davecast.Http;
using Microsoft.Extensions.Logging;

namespace Davecast.Net;

/// <summary>
/// What guards a port strangers can open connections to: its open connections against its limits
/// (<see cref="ConnectionCounts"/>), and the connections it closes unserved, counted by reason for /metrics and logged
/// once an interval (<see cref="PortRefusals{TReason}"/>).
/// </summary>
/// <typeparam name="TReason">The port's reasons, numbered from 0 without gaps; two of them are its two limits.</typeparam>
public sealed class PortGate<TReason> : IDisposable where TReason : struct, Enum
{
    /// <summary>Least time between two log lines about a port's refusals.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly ConnectionCounts _counts;
    private readonly TReason _overTotal;
    private readonly TReason _overPerSource;

    /// <param name="port">The port as the log names it: "Edge port (--port)".</param>
    /// <param name="limits">The port's connections in total and per source, with any sources exempt from the latter.</param>
    /// <param name="overTotal">The reason of a connection past the total.</param>
    /// <param name="overPerSource">The reason of a connection past its source's share.</param>
    /// <param name="describe">A reason as the log words it, naming its option and value: "over --max-connections (11000)".</param>
    public PortGate(string port, ConnectionCounts limits, TReason overTotal, TReason overPerSource, Func<TReason, string> describe, ILogger logger)
    {
        _counts = limits;
        _overTotal = overTotal;
        _overPerSource = overPerSource;
        Refusals = new PortRefusals<TReason>(port, describe, logger, LogInterval);
    }

    public PortRefusals<TReason> Refusals { get; }

    /// <summary>Connections open now, idle ones included.</summary>
    public int Open => _counts.Open;

    /// <summary>
    /// Counts a new connection from <paramref name="address"/> (null: not an IP connection) and returns true; or counts
    /// the refusal, naming <paramref name="remote"/> in the log, and returns false: the caller closes it unread.
    /// </summary>
    public bool TryOpen(IPAddress? address, string remote)
    {
        if (_counts.TryOpen(address) is not { } limit) return true;
        Refusals.Add(limit == ConnectionLimit.Total ? _overTotal : _overPerSource, remote);
        return false;
    }

    /// <summary>A connection <see cref="TryOpen"/> counted is closed.</summary>
    public void Close(IPAddress? address) => _counts.Close(address);

    /// <summary>Counts a connection closed unserved for a reason of the port's own (a timeout).</summary>
    public void Refuse(TReason reason, string remote) => Refusals.Add(reason, remote);

    public void Dispose() => Refusals.Dispose();
}
