using Davecast.Frames;
using Davecast.Grains;
using Davecast.Silo.Window;

namespace Davecast.Silo.Ingest;

/// <summary>One encoder session as this relay sees it: dedup, window, frames waiting for the next batch.</summary>
internal sealed class EncoderState(string encoder, ulong session, int ringCapacity)
{
    public string Encoder { get; } = encoder;
    public ulong Session { get; } = session;
    public SeenWindow Seen { get; } = new(Math.Max(8192, ringCapacity * 2));
    public ReplayGuard Replays { get; } = new();

    /// <summary>The window's frames. Empty until the first frame, which tells how many frames the window needs (<see cref="FitRing"/>).</summary>
    public FrameRing Ring { get; private set; } = new(16);

    private bool _ringFitted;

    /// <summary>
    /// Before the first frame is kept: a ring of as many slots as the window holds frames of this codec, with a
    /// margin (the window is trimmed every report interval), at most <c>ringCapacity</c>. A 10 s window of 44.1 kHz
    /// AAC needs 517 slots, of MP3 460, where the most (48 kHz Layer I) needs 1500.
    /// </summary>
    public void FitRing(in CodecParameters parameters, TimeSpan window)
    {
        if (_ringFitted) return;
        _ringFitted = true;
        double framesPerSecond = parameters.SamplesPerFrame == 0 ? 0 : (double)parameters.SampleRate / parameters.SamplesPerFrame;
        int needed = (int)Math.Ceiling((window.TotalSeconds + 2) * framesPerSecond);
        if (needed <= 0 || needed > ringCapacity) needed = ringCapacity;
        Ring = new FrameRing(needed);
    }
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

    /// <summary>The lowest sequence of this session accepted so far (valid once <see cref="FramesAccepted"/> > 0).</summary>
    public ulong FirstSequence { get; private set; }

    /// <summary>The media timestamp of <see cref="FirstSequence"/>: the election plans switches from it.</summary>
    public long FirstTimestampMicros { get; private set; }

    /// <summary>Notes an accepted frame (call before counting it in <see cref="FramesAccepted"/>); keeps the lowest sequence.</summary>
    public void NoteFirst(ulong sequence, long timestampMicros)
    {
        if (FramesAccepted > 0 && sequence >= FirstSequence) return;
        FirstSequence = sequence;
        FirstTimestampMicros = timestampMicros;
    }

    public EncoderReport Report() => new(
        Encoder, Session, Seen.Highest, LastFrameAt, FramesAccepted, Duplicates, Gaps, Announcement, Title, LastTimestampMicros,
        FirstTimestampMicros, FirstSequence);
}
