namespace Davecast.Publisher.Paths;

/// <summary>
/// Takes the packets relays send back on a path (Refused, see docs/protocol.md). Called from the paths' receive
/// loops, several at once; what arrives is unverified and may be anything.
/// </summary>
public interface IReplySink
{
    /// <param name="packet">One whole packet; the span is not kept.</param>
    /// <param name="relay">Who sent it, for logs: the relay's host:port, or the sender's address for multicast.</param>
    void Receive(ReadOnlySpan<byte> packet, string relay);
}

/// <summary>Drops every reply.</summary>
public sealed class NoReplies : IReplySink
{
    public static NoReplies Instance { get; } = new();

    public void Receive(ReadOnlySpan<byte> packet, string relay)
    {
    }
}
