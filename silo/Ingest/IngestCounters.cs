using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>Relay-wide packet counters, updated without locks.</summary>
public sealed class IngestCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    private long _packets;
    private long _frames;
    private long _duplicates;
    private long _bytes;

    public long Packets => Volatile.Read(ref _packets);
    public long Frames => Volatile.Read(ref _frames);
    public long Duplicates => Volatile.Read(ref _duplicates);
    public long Bytes => Volatile.Read(ref _bytes);

    public void Packet(int bytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void Frame() => Interlocked.Increment(ref _frames);

    public void Duplicate() => Interlocked.Increment(ref _duplicates);

    public void Reject(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);

    public long RejectedTotal => _rejected.Sum();

    public IReadOnlyDictionary<string, long> RejectedByReason() =>
        Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None).ToDictionary(r => r.ToString(), Rejected);
}
