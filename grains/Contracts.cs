using Davecast.Frames;

namespace Davecast.Grains;

/// <summary>
/// Frames of one encoder that one relay accepted during one batch interval, in the order it accepted them
/// (sequence order unless a copy arrived late). Frame i is Data[Offsets[i]..Offsets[i+1]].
/// </summary>
[GenerateSerializer, Immutable]
public sealed class FrameBatch
{
    [Id(0)] public required string Mount { get; init; }
    [Id(1)] public required string Relay { get; init; }
    [Id(2)] public required string Encoder { get; init; }
    [Id(3)] public required ulong Session { get; init; }
    [Id(4)] public required ulong[] Sequences { get; init; }
    [Id(5)] public required long[] Timestamps { get; init; }
    [Id(6)] public required int[] Offsets { get; init; }
    [Id(7)] public required byte[] Data { get; init; }
    /// <summary>The encoder's stream title as this relay knows it, and the sequence it applies from; null when none was set.</summary>
    [Id(8)] public string? Title { get; init; }
    [Id(9)] public ulong TitleFrom { get; init; }
    /// <summary>Each frame's duration, from the header the relay parsed once when it accepted the frame.</summary>
    [Id(10)] public required int[] Durations { get; init; }
    /// <summary>Each frame's content hash (<see cref="FrameHash"/>), computed once by the relay.</summary>
    [Id(11)] public required ulong[] Hashes { get; init; }

    public int Count => Sequences.Length;

    public ReadOnlyMemory<byte> Frame(int i) => Data.AsMemory(Offsets[i], Offsets[i + 1] - Offsets[i]);
}

/// <summary>Every encoder's frames of one mount from one relay's batch interval, as the relay feed carries them.</summary>
[GenerateSerializer, Immutable]
public sealed class MountBatch
{
    [Id(0)] public required string Mount { get; init; }
    [Id(1)] public required string Relay { get; init; }
    /// <summary>Increases by one per batch a relay publishes for this mount; a jump means lost batches.</summary>
    [Id(2)] public required long BatchNumber { get; init; }
    [Id(3)] public required FrameBatch[] Encoders { get; init; }
}

/// <summary>What an encoder announced: its codec, its priority in the election, its Icy headers.</summary>
[GenerateSerializer, Immutable]
public sealed record EncoderAnnouncement(
    [property: Id(0)] string Encoder,
    [property: Id(1)] ulong Session,
    [property: Id(2)] CodecParameters Parameters,
    [property: Id(3)] int Priority,
    [property: Id(4)] IReadOnlyDictionary<string, string> Headers);

/// <summary>One relay's view of one encoder, reported periodically (never per frame).</summary>
[GenerateSerializer, Immutable]
public sealed record EncoderReport(
    [property: Id(0)] string Encoder,
    [property: Id(1)] ulong Session,
    [property: Id(2)] ulong LastSequence,
    [property: Id(3)] DateTimeOffset LastFrameAt,
    [property: Id(4)] long FramesAccepted,
    [property: Id(5)] long Duplicates,
    [property: Id(6)] long Gaps,
    [property: Id(7)] EncoderAnnouncement? Announcement,
    [property: Id(8)] string? Title,
    [property: Id(9)] long LastTimestampMicros = 0,
    [property: Id(10)] long FirstTimestampMicros = 0,
    [property: Id(11)] ulong FirstSequence = 0);

/// <summary>A relay's periodic report on one mount.</summary>
[GenerateSerializer, Immutable]
public sealed record RelayReport(
    [property: Id(0)] string Relay,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] IReadOnlyList<EncoderReport> Encoders);

/// <summary>
/// What an edge needs to serve a mount. <see cref="AdminTitle"/> is an operator's title while it holds
/// (<see cref="OperatorTitle"/>), <see cref="AdminTitleVersion"/> its version.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MountInfo(
    [property: Id(0)] string Mount,
    [property: Id(1)] CodecParameters? Parameters,
    [property: Id(2)] string? LiveEncoder,
    [property: Id(3)] IReadOnlyList<string> Relays,
    [property: Id(4)] IReadOnlyList<EncoderStatus> Encoders,
    [property: Id(5)] IReadOnlyDictionary<string, string> Headers,
    [property: Id(6)] string? Title,
    [property: Id(7)] ulong LiveSession = 0,
    [property: Id(8)] long? SwitchAtMicros = null,
    [property: Id(9)] IReadOnlyList<EdgeReport>? Edges = null,
    [property: Id(10)] string? AdminTitle = null,
    [property: Id(11)] long AdminTitleVersion = 0,
    [property: Id(12)] TimeSpan? EncoderTimeout = null)
{
    /// <summary>The election's encoder timeout at the site (<see cref="ElectionOptions.EncoderTimeout"/>); the default from a site that does not send it.</summary>
    public TimeSpan HealthTimeout => EncoderTimeout ?? ElectionOptions.DefaultEncoderTimeout;
}

/// <summary>An encoder as the mount grain sees it, merged over all relays.</summary>
[GenerateSerializer, Immutable]
public sealed record EncoderStatus(
    [property: Id(0)] string Encoder,
    [property: Id(1)] ulong Session,
    [property: Id(2)] int Priority,
    [property: Id(3)] CodecParameters? Parameters,
    [property: Id(4)] ulong LastSequence,
    [property: Id(5)] DateTimeOffset LastFrameAt,
    [property: Id(6)] IReadOnlyList<string> SeenBy,
    [property: Id(7)] long FramesAccepted,
    [property: Id(8)] long Duplicates,
    [property: Id(9)] long Gaps,
    [property: Id(10)] string? RefusedReason,
    [property: Id(11)] long LastTimestampMicros = 0,
    [property: Id(12)] DateTimeOffset? HealthySince = null,
    [property: Id(13)] double FramesPerSecond = 0);

/// <summary>An edge's periodic report on one mount: what it plays and how often it had to repair the stream.</summary>
[GenerateSerializer, Immutable]
public sealed record EdgeReport(
    [property: Id(0)] string Edge,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? Playing,
    [property: Id(3)] int Listeners,
    [property: Id(4)] long FramesEmitted,
    [property: Id(5)] long Duplicates,
    [property: Id(6)] long Late,
    [property: Id(7)] long GapFrames,
    [property: Id(8)] long Substituted,
    [property: Id(9)] long Failovers,
    [property: Id(10)] long Switches,
    [property: Id(11)] long Backfills,
    [property: Id(12)] long BytesOut);

/// <summary>A slice of a relay's window, for backfill and for priming a new edge.</summary>
[GenerateSerializer, Immutable]
public sealed record WindowSlice(
    [property: Id(0)] FrameBatch? Frames,
    [property: Id(1)] ulong OldestSequence,
    [property: Id(2)] ulong NewestSequence);
