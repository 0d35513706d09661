using Davecast.Frames;
using Davecast.Grains;
using Davecast.Merge;

namespace Davecast.Silo.Ingest;

/// <summary>One encoder session as this relay sees it: dedup, window, frames waiting for the next batch.</summary>
internal sealed class EncoderState(string encoder, ulong session, int ringCapacity)
{
    public string Encoder { get; } = encoder;
    public ulong Session { get; } = session;
    public SeenWindow Seen { get; } = new(Math.Max(8192, ringCapacity * 2));
    public ReplayGuard Replays { get; } = new();
    public FrameRing Ring { get; } = new(ringCapacity);
    public List<ulong> Pending { get; } = new(64);
    public EncoderAnnouncement? Announcement { get; set; }
    public IFrameFormat? Format { get; set; }
    public string? Title { get; set; }
    public ulong TitleFrom { get; set; }
    public string? RefusedReason { get; set; }
    public DateTimeOffset LastFrameAt { get; set; }
    public DateTimeOffset LastHeardAt { get; set; }
    public long FramesAccepted { get; set; }
    public long Duplicates { get; set; }
    public long TooOld { get; set; }
    public long Gaps { get; set; }
    public long LastTimestampMicros { get; set; }

    public EncoderReport Report() => new(
        Encoder, Session, Seen.Highest, LastFrameAt, FramesAccepted, Duplicates, Gaps, Announcement, Title, LastTimestampMicros);
}

/// <summary>Everything this relay holds of one mount. Guarded by its own lock.</summary>
internal sealed class MountState(string mount)
{
    public string Mount { get; } = mount;
    public Lock Gate { get; } = new();
    public Dictionary<string, EncoderState> Encoders { get; } = new(StringComparer.Ordinal);
    public long BatchNumber { get; set; }
    public DateTimeOffset LastPacketAt { get; set; }
}
