using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Paths;

/// <summary>
/// Whether a datagram path's sends are failing: one warning when they start failing, one line when they work
/// again after a quiet spell (ICMP errors fail only every other send, so one success proves nothing).
/// </summary>
internal sealed class SendHealth(byte pathId, string name, ILogger logger)
{
    private static readonly TimeSpan QuietSpell = TimeSpan.FromSeconds(5);

    private bool _failing;
    private long _lastErrorAt;

    public void Succeeded()
    {
        if (_failing && Stopwatch.GetElapsedTime(Volatile.Read(ref _lastErrorAt)) > QuietSpell)
        {
            _failing = false;
            logger.LogInformation("Path {PathId} ({Path}) sends again", pathId, name);
        }
    }

    public void Failed(SocketError error)
    {
        Volatile.Write(ref _lastErrorAt, Stopwatch.GetTimestamp());
        if (!_failing)
        {
            _failing = true;
            logger.LogWarning("Path {PathId} ({Path}) cannot send: {Error}", pathId, name, error);
        }
    }
}
