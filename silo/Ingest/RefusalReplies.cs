using System.Diagnostics;
using System.Text;
using Davecast.Cli;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Tells an encoder that it is refused (by its mount, or for a cap of the relay's): a Refused packet back on the path
/// its packets come by, at most one per <see cref="RefusalInterval"/> per encoder session and path.
/// </summary>
public sealed partial class RefusalReplies(ILogger<RefusalReplies> logger)
{
    /// <summary>Least time between two Refused packets to one encoder on one path.</summary>
    public static readonly TimeSpan RefusalInterval = TimeSpan.FromSeconds(1);

    /// <summary>Encoder sessions and paths remembered at most; beyond, the first remembered is forgotten.</summary>
    public const int MaxRemembered = 4096;

    private readonly Dictionary<RefusalKey, long> _sent = [];
    // The keys of _sent in the order they were first remembered.
    private readonly Queue<RefusalKey> _order = new();
    private long _count;
    // One line per interval: a key holder's bug can make thousands of encoder sessions refused at once.
    private readonly FloodTally _told = new(1, (long)Davecast.Net.PortGate<TcpRefusal>.LogInterval.TotalMilliseconds);

    /// <summary>Encoder sessions and paths remembered now (each costs an entry).</summary>
    public int Remembered
    {
        get
        {
            lock (_sent) return _sent.Count;
        }
    }

    /// <summary>Refused packets sent to publishers.</summary>
    public long RefusalsSent => Interlocked.Read(ref _count);

    /// <summary>Answers <paramref name="view"/>, a control packet verified with <paramref name="packetKey"/>, that its mount refuses its encoder.</summary>
    internal void Tell(in PacketView view, PacketKey packetKey, string reason, ReplyRoute reply)
    {
        var key = new RefusalKey(Encoding.UTF8.GetString(view.Mount), Encoding.UTF8.GetString(view.Encoder), view.Session, view.PathId);
        long now = Stopwatch.GetTimestamp();
        bool first;
        lock (_sent)
        {
            first = !_sent.TryGetValue(key, out long last);
            if (!first && Stopwatch.GetElapsedTime(last, now) < RefusalInterval) return;
            if (first)
            {
                // Full (a key holder's bug refused under thousands of encoder ids): the longest remembered goes. It
                // may hear its next refusal early; every encoder still hears, and memory stays bounded.
                if (_sent.Count >= MaxRemembered) _sent.Remove(_order.Dequeue());
                _order.Enqueue(key);
            }
            _sent[key] = now;
        }

        var buffer = new byte[Refusal.MaxSize(view)];
        long nowMicros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        int length = Refusal.Write(buffer, view, (ulong)Interlocked.Increment(ref _count), nowMicros, reason, packetKey);
        var error = reply.Send(buffer.AsSpan(0, length));
        if (error is not null) LogRefusalNotSent(key.Encoder, key.Mount, key.PathId, reply.Describe(), error);
        else if (first && _told.Pass(FloodTally.NowMs, out long held)) LogTellingRefused(key.Encoder, key.Mount, key.PathId, reply.Describe(), reason, held);
    }

    private readonly record struct RefusalKey(string Mount, string Encoder, ulong Session, byte PathId);

    [LoggerMessage(LogLevel.Information, "Telling encoder {Encoder} of mount {Mount} on path {PathId} ({Route}) that it is refused: {Reason} ({Held} more encoders told since the last such line)")]
    private partial void LogTellingRefused(string encoder, string mount, byte pathId, string route, string reason, long held);

    [LoggerMessage(LogLevel.Debug, "Cannot tell encoder {Encoder} of mount {Mount} on path {PathId} ({Route}) that it is refused: {Error}")]
    private partial void LogRefusalNotSent(string encoder, string mount, byte pathId, string route, string error);
}
