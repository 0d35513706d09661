using System.Diagnostics;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// The Icecast listener stream of a mount: every frame goes into the <see cref="OutputRing"/> its listeners read
/// (<see cref="ListenerEndpoint"/>), and the listeners are woken at most once per write interval.
/// </summary>
public sealed class IcecastOutput(BurstLimit burst, TimeSpan writeInterval) : IMountOutput
{
    private long _lastPublish;
    private bool _unpublished;

    public OutputRing Ring { get; } = new(burst);

    public void Write(in ProgrammeFrame frame) => Ring.Append(frame.Data.Span, frame.TimestampMicros, frame.DurationMicros, frame.Title);

    public void Flush(int frames, long now)
    {
        if (DuePublish(frames, now)) Ring.Publish();
    }

    /// <summary>
    /// Whether the listeners are woken now: frames were written since they last were, and the write interval has
    /// passed. Each listener then takes everything written meanwhile in one write, as Icecast writes a few
    /// kilobytes at a time: a wake-up and a send per listener for every 20 ms pump would cost the edge several
    /// times Icecast's CPU per listener (BENCHMARKS.md, fan-out).
    /// </summary>
    private bool DuePublish(int frames, long now)
    {
        if (frames > 0) _unpublished = true;
        if (!_unpublished || Stopwatch.GetElapsedTime(_lastPublish, now) < writeInterval) return false;
        _unpublished = false;
        _lastPublish = now;
        return true;
    }
}
