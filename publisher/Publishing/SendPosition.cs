namespace Davecast.Publisher.Publishing;

/// <summary>Where the audio loop is: the next frame to send and its media timestamp. Read by the control loop.</summary>
public sealed class SendPosition(long startTimestampMicros)
{
    private readonly Lock _gate = new();
    private ulong _nextSequence;
    private long _nextTimestampMicros = startTimestampMicros;
    private long _framesSent;

    public long FramesSent => Volatile.Read(ref _framesSent);

    public void Advance(ulong nextSequence, long nextTimestampMicros, int frames)
    {
        lock (_gate)
        {
            _nextSequence = nextSequence;
            _nextTimestampMicros = nextTimestampMicros;
        }
        Interlocked.Add(ref _framesSent, frames);
    }

    public (ulong NextSequence, long NextTimestampMicros) Read()
    {
        lock (_gate) return (_nextSequence, _nextTimestampMicros);
    }
}
