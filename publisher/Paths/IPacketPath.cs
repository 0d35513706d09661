namespace Davecast.Publisher.Paths;

/// <summary>
/// Transport part of a path id: path id = relay index * 4 + transport, and for multicast group index * 4 + 2.
/// </summary>
public enum PathTransport : byte
{
    Udp = 0,
    Tcp = 1,
    Multicast = 2,
}

public static class PathIds
{
    /// <param name="index">The relay's index in --relay, or for <see cref="PathTransport.Multicast"/> the group's in --multicast.</param>
    public static byte For(int index, PathTransport transport) =>
        index is >= 0 and < 64 ? (byte)(index * 4 + (int)transport) : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>
/// One way to one relay. <see cref="Send"/> never blocks, so one slow or dead path cannot delay the others;
/// it may be called from the audio loop and the control loop at once. Decorators (loss injection) wrap this.
/// </summary>
public interface IPacketPath : IAsyncDisposable
{
    byte PathId { get; }

    /// <summary>For logs: "udp 10.0.0.5:9001".</summary>
    string Name { get; }

    PathStats Stats { get; }

    /// <summary>Sends or queues one packet; the span is not kept.</summary>
    void Send(ReadOnlySpan<byte> packet);

    /// <summary>Lets queued packets leave, for at most <paramref name="timeout"/>; nothing may be sent afterwards.</summary>
    Task CompleteAsync(TimeSpan timeout);
}

/// <summary>Counters of one path, updated without locks.</summary>
public sealed class PathStats
{
    private long _packets;
    private long _bytes;
    private long _dropped;
    private long _reconnects;

    public long Packets => Volatile.Read(ref _packets);
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Packets not delivered to the transport: queue overflow, socket errors, no connection.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    public long Reconnects => Volatile.Read(ref _reconnects);

    public void Sent(int bytes) => Sent(1, bytes);

    public void Sent(int packets, int bytes)
    {
        Interlocked.Add(ref _packets, packets);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Drop(int count = 1) => Interlocked.Add(ref _dropped, count);

    public void Reconnect() => Interlocked.Increment(ref _reconnects);
}
