namespace Davecast.Grains.Feed;

/// <summary>
/// The relay feed: one TCP connection from each edge to each relay carries that relay's frames of every mount, and
/// the edge's backfill requests to its window. It passes through no other silo or gateway, so a relay's copies
/// reach an edge whenever the network between those two does (docs/protocol.md, "Relay feed").
/// </summary>
public static class FeedProtocol
{
    /// <summary>2: each frame carries its duration and content hash.</summary>
    public const byte Version = 2;

    /// <summary>
    /// The oldest version an edge still reads (version 1 frames carry no duration or hash: the edge works them out),
    /// so that edges can be upgraded before relays without a listener hearing it.
    /// </summary>
    public const byte OldestReadable = 1;

    public static bool CanRead(byte version) => version >= OldestReadable && version <= Version;

    /// <summary>Every message starts with its length (4 bytes, big-endian, not counting itself) and its type.</summary>
    public const int PrefixSize = 5;

    /// <summary>A larger length means the stream is corrupt (a batch of every mount of a busy relay stays far below).</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    /// <summary>A relay sends a batch every batch interval, empty if need be: this long without one, the feed is dead.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(3);
}

public enum FeedMessageType : byte
{
    /// <summary>First message each way: the protocol version and who is speaking (a relay also names its site).</summary>
    Hello = 1,

    /// <summary>Relay to edge: every mount's frames of one batch interval.</summary>
    Batch = 2,

    /// <summary>Edge to relay: frames of one encoder session from the relay's window.</summary>
    BackfillRequest = 3,

    /// <summary>Relay to edge: the answer to one backfill request.</summary>
    BackfillReply = 4,
}

/// <summary>Who is at the other end of a feed.</summary>
public sealed record FeedHello(byte Version, string Name, string Site);

/// <summary>One backfill request; <see cref="Id"/> pairs it with its reply.</summary>
public readonly record struct FeedBackfillRequest(uint Id, string Mount, string Encoder, ulong Session, ulong From, int MaxFrames);

/// <summary>One backfill reply: the frames found (null: none) and the window's bounds.</summary>
public sealed record FeedBackfillReply(uint Id, string Mount, WindowSlice Slice);
