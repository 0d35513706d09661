using System.Net;
using Davecast.Edge.Outputs.Icecast;

namespace Davecast.Edge.Listeners;

/// <summary>One connected listener: who it is (for <c>/admin/listclients</c>), where it is in the mount's stream, and how to drop it.</summary>
/// <remarks>
/// Ending it (drop, kick, close) wakes its stream's wait and cancels a send its connection is blocked in; the edge's
/// queue check may drop a listener at the very moment it leaves, and ending it twice is harmless.
/// </remarks>
public sealed class ListenerSession(string mount, string? remote, bool icyMetadata, string? userAgent = null) : RingWaiter
{
    private static long _lastId;
    private ListenerOutput? _output;
    private int _kicked;
    // Until its stream starts (admitted, its hook and headers still on the way) nothing is queued for it: a queue check
    // then must not read the whole stream so far as its backlog.
    private long _takenOffset = long.MaxValue;
    private long _droppedWithQueue = -1;

    public string Mount { get; } = mount;
    public string? Remote { get; } = remote;
    public bool IcyMetadata { get; } = icyMetadata;
    public DateTimeOffset ConnectedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Unique in this edge process, as Icecast's client ids are: what <c>/admin/killclient?id=</c> names.</summary>
    public long Id { get; } = Interlocked.Increment(ref _lastId);

    public string? UserAgent { get; } = userAgent;

    /// <summary>The remote address without its port.</summary>
    public string? Ip => IPEndPoint.TryParse(Remote ?? "", out var endpoint) ? endpoint.Address.ToString() : Remote;

    /// <summary>Whether an operator closed it (<see cref="Kick"/>).</summary>
    public bool Kicked => Volatile.Read(ref _kicked) == 1;

    /// <summary>
    /// Stream position (audio bytes) up to which the listener's connection has taken the audio; <see cref="long.MaxValue"/>
    /// until its stream starts.
    /// </summary>
    public long TakenOffset
    {
        get => Volatile.Read(ref _takenOffset);
        set => Volatile.Write(ref _takenOffset, value);
    }

    /// <summary>
    /// The connection its stream writes to: ending the session cancels a send blocked on it (a listener that stopped
    /// reading), which no wake would end.
    /// </summary>
    public void Attach(ListenerOutput output)
    {
        Interlocked.Exchange(ref _output, output);
        if (Ended) output.CancelSend();
    }

    /// <summary>The queue it had when dropped, or -1 if it was not dropped.</summary>
    public long DroppedWithQueue => Interlocked.Read(ref _droppedWithQueue);

    public void Drop(long queuedBytes)
    {
        if (Interlocked.CompareExchange(ref _droppedWithQueue, queuedBytes, -1) == -1) Stop();
    }

    /// <summary>Ends the listener's stream cleanly (what it was sent is delivered, then the connection closes).</summary>
    public void Close() => Stop();

    /// <summary>Ends the listener's stream at an operator's request: its connection is closed, not reset.</summary>
    public void Kick()
    {
        if (Interlocked.Exchange(ref _kicked, 1) == 0) Stop();
    }

    private void Stop()
    {
        End();
        Volatile.Read(ref _output)?.CancelSend();
    }
}
