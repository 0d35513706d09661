using System.Collections.Concurrent;
using System.Diagnostics;

namespace Davecast.Edge.Outputs.Hls;

/// <summary>
/// The HLS listeners of a mount at this edge. HLS has no connection that lasts: a listener is a client (its address
/// and user agent) that asked for the mount's playlist or a segment within the last <paramref name="lifetime"/>.
/// </summary>
public sealed class HlsSessions(TimeSpan lifetime)
{
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly long _lifetime = (long)(lifetime.TotalSeconds * Stopwatch.Frequency);

    /// <summary>A request from this client now.</summary>
    public void Seen(string? remote, string? userAgent) => _seen[$"{remote}|{userAgent}"] = Stopwatch.GetTimestamp();

    /// <summary>The clients seen within the lifetime; forgets the others.</summary>
    public int Count
    {
        get
        {
            long now = Stopwatch.GetTimestamp();
            int count = 0;
            foreach (var (client, at) in _seen)
            {
                if (now - at <= _lifetime) count++;
                else _seen.TryRemove(new KeyValuePair<string, long>(client, at));
            }
            return count;
        }
    }
}
