using System.Diagnostics;
using Davecast.Frames;

namespace Davecast.Publisher.Pacing;

/// <summary>Sequence number, media timestamp and send deadline of one frame.</summary>
/// <param name="OffsetMicros">Media time since the session's start; also when the frame is due.</param>
public readonly record struct FrameStamp(ulong Sequence, long TimestampMicros, long OffsetMicros);

/// <summary>
/// Numbers frames, stamps them with media time and waits for each one's deadline. Media time is counted
/// in samples and converted with the sample rate, so no rounding error accumulates; deadlines are absolute
/// (session start + media offset) on a <see cref="Stopwatch"/>, so a late wake-up never delays later frames.
/// </summary>
/// <param name="sessionStartMicros">Media time of the first frame.</param>
/// <param name="startedAt">The <see cref="Stopwatch"/> timestamp real time counts from (frame 0 is due then).</param>
public sealed class Pacer(long sessionStartMicros, long startedAt)
{
    private readonly long _started = startedAt;
    private int _sampleRate;
    private long _baseOffsetMicros;
    private long _samples;
    private DeadlineWait? _wait;

    /// <summary>Real time counts from construction.</summary>
    public Pacer(long sessionStartMicros) : this(sessionStartMicros, Stopwatch.GetTimestamp())
    {
    }

    /// <summary>
    /// Frame 0 is due at the wall-clock instant <paramref name="startMicros"/> (microseconds since the Unix epoch,
    /// which may have passed) and is stamped with it.
    /// </summary>
    public static Pacer StartingAt(long startMicros, DateTimeOffset now)
    {
        long nowMicros = (now - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        long ahead = (startMicros - nowMicros) * Stopwatch.Frequency / 1_000_000;
        return new Pacer(startMicros, Stopwatch.GetTimestamp() + ahead);
    }

    /// <summary>Media time of frame 0.</summary>
    public long SessionStartMicros { get; } = sessionStartMicros;

    /// <summary>Sequence number the next frame gets.</summary>
    public ulong NextSequence { get; private set; }

    /// <summary>Media offset of the next frame, if it has the rate of the last one.</summary>
    public long NextOffsetMicros => _sampleRate == 0 ? _baseOffsetMicros : _baseOffsetMicros + _samples * 1_000_000 / _sampleRate;

    public long NextTimestampMicros => SessionStartMicros + NextOffsetMicros;

    /// <summary>Real time since the session started.</summary>
    public long ElapsedMicros => Stopwatch.GetElapsedTime(_started).Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>Numbers and stamps the next frame, and moves media time on by its duration.</summary>
    public FrameStamp Stamp(in CodecParameters parameters)
    {
        if (parameters.SampleRate <= 0) throw new ArgumentException("frame without a sample rate", nameof(parameters));
        if (parameters.SampleRate != _sampleRate)
        {
            // A new rate: bank the time counted so far and count samples afresh.
            _baseOffsetMicros = NextOffsetMicros;
            _samples = 0;
            _sampleRate = parameters.SampleRate;
        }
        var stamp = new FrameStamp(NextSequence, SessionStartMicros + NextOffsetMicros, NextOffsetMicros);
        NextSequence++;
        _samples += parameters.SamplesPerFrame;
        return stamp;
    }

    /// <summary>
    /// Whether a frame with <paramref name="parameters"/>, numbered next, would end before now: a publisher that
    /// joins a programme late (a <c>--start-at</c> in the past) skips such frames, so that it sends in step.
    /// </summary>
    public bool IsPast(in CodecParameters parameters, long slackMicros = 0)
    {
        if (parameters.SampleRate <= 0) return false;
        return NextOffsetMicros + parameters.SamplesPerFrame * 1_000_000L / parameters.SampleRate + slackMicros <= ElapsedMicros;
    }

    /// <summary>
    /// Waits until real time reaches <paramref name="offsetMicros"/>; returns at once if it has. Allocates nothing once
    /// the first wait has been made. One wait at a time: the previous one must have been awaited.
    /// </summary>
    public ValueTask WaitUntilAsync(long offsetMicros, CancellationToken cancellationToken)
    {
        long wait = offsetMicros - ElapsedMicros;
        return wait <= 0
            ? ValueTask.CompletedTask
            : (_wait ??= new DeadlineWait()).WaitAsync(TimeSpan.FromMicroseconds(wait), cancellationToken);
    }
}
