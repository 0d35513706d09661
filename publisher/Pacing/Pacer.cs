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
/// <param name="sessionStartMicros">Media time of the first frame; real time counts from construction.</param>
public sealed class Pacer(long sessionStartMicros)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private int _sampleRate;
    private long _baseOffsetMicros;
    private long _samples;

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

    /// <summary>Waits until real time reaches <paramref name="offsetMicros"/>; returns at once if it has.</summary>
    public ValueTask WaitUntilAsync(long offsetMicros, CancellationToken cancellationToken)
    {
        long wait = offsetMicros - ElapsedMicros;
        return wait <= 0
            ? ValueTask.CompletedTask
            : new ValueTask(Task.Delay(TimeSpan.FromMicroseconds(wait), cancellationToken));
    }
}
