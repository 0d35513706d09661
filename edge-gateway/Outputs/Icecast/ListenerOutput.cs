using System.Buffers;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>How a send to a listener's connection went.</summary>
public enum ListenerSend
{
    /// <summary>The connection took everything written.</summary>
    Sent,

    /// <summary>The connection took part of it or nothing; the rest waits for the next send.</summary>
    Blocked,

    /// <summary>The connection is done: nothing more reaches it.</summary>
    Closed,
}

/// <summary>
/// A listener's connection as its stream sees it: bytes are written, then sent. Written bytes a send could not pass on
/// stay with the output, ahead of what is written next.
/// </summary>
public abstract class ListenerOutput : IBufferWriter<byte>
{
    public abstract Span<byte> GetSpan(int sizeHint = 0);

    public abstract Memory<byte> GetMemory(int sizeHint = 0);

    public abstract void Advance(int count);

    /// <summary>Whether written bytes wait for a send.</summary>
    public abstract bool HasUnsent { get; }

    /// <summary>Passes what was written to the connection.</summary>
    public abstract ValueTask<ListenerSend> SendAsync();

    /// <summary>Ends a send blocked on a connection that stopped taking bytes (called when the session ends).</summary>
    public abstract void CancelSend();

    /// <summary>Lets go of what it holds once the stream is over; nothing is sent after.</summary>
    public virtual void Release()
    {
    }
}
