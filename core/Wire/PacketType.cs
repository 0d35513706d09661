namespace Davecast.Wire;

/// <summary>What a wire packet carries. See docs/protocol.md.</summary>
public enum PacketType : byte
{
    /// <summary>One or more consecutive codec frames of one encoder.</summary>
    Audio = 1,
    /// <summary>The encoder's codec parameters, priority and Icy headers.</summary>
    Announce = 2,
    /// <summary>The encoder is alive; carries the next frame sequence number.</summary>
    Heartbeat = 3,
    /// <summary>A stream title that applies from a given frame on.</summary>
    Metadata = 4,
    /// <summary>Relay to publisher: the mount refuses this encoder; the payload is the reason (UTF-8).</summary>
    Refused = 5,
}

/// <summary>Why a relay dropped a packet; each reason has its own counter.</summary>
public enum RejectReason : byte
{
    None = 0,
    TooShort,
    BadMagic,
    BadVersion,
    BadType,
    BadLength,
    BadField,
    UnknownKey,
    BadTag,
    Replay,
    BadFrame,
    Oversized,
    /// <summary>Verified, but its key already holds as many mounts on this relay as it may (a new mount).</summary>
    KeyMountLimit,
    /// <summary>Verified, but the relay already holds as many mounts as it may (a new mount).</summary>
    RelayMountLimit,
    /// <summary>Verified, but its mount already has as many encoders as it may (a new encoder).</summary>
    EncoderLimit,
}
