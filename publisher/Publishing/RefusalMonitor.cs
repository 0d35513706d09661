using System.Diagnostics;
using System.Text;
using Davecast.Publisher.Paths;
using Davecast.Wire;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Publishing;

/// <summary>
/// Reads what relays send back. A Refused packet for this encoder's session, with a tag made with this
/// publisher's key, is logged as an error, at most once per <see cref="LogInterval"/> per relay; anything else is
/// ignored and counted.
/// </summary>
public sealed class RefusalMonitor(ulong session, string mount, string encoderId, string keyId, PacketKey key, ILogger logger) : IReplySink
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly byte[] _mount = Encoding.UTF8.GetBytes(mount);
    private readonly byte[] _encoder = Encoding.UTF8.GetBytes(encoderId);
    private readonly byte[] _keyId = Encoding.UTF8.GetBytes(keyId);
    private readonly Dictionary<string, long> _loggedAt = new(StringComparer.Ordinal);
    private long _refusals;
    private long _ignored;

    /// <summary>Refused packets that verified.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Replies that were not a valid Refused packet for this session.</summary>
    public long Ignored => Interlocked.Read(ref _ignored);

    public void Receive(ReadOnlySpan<byte> packet, string relay)
    {
        if (!Refusal.TryRead(packet, _mount, _encoder, _keyId, session, key, out var reason))
        {
            Interlocked.Increment(ref _ignored);
            return;
        }
        Interlocked.Increment(ref _refusals);
        long now = Stopwatch.GetTimestamp();
        lock (_loggedAt)
        {
            if (_loggedAt.TryGetValue(relay, out long at) && Stopwatch.GetElapsedTime(at, now) < LogInterval) return;
            _loggedAt[relay] = now;
        }
        logger.LogError("Relay {Relay} refuses encoder {Encoder} on mount /{Mount}: {Reason}", relay, encoderId, mount, reason);
    }
}
