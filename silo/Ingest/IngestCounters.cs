using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>How a packet reached the relay.</summary>
public enum IngestTransport
{
    /// <summary>A datagram on the ingest port (also a multicast group joined on that port).</summary>
    Udp,
    /// <summary>A length-prefixed packet on a TCP connection.</summary>
    Tcp,
    /// <summary>A datagram of a multicast group joined on a port of its own.</summary>
    Multicast,
}

/// <summary>Relay-wide packet counters, updated without locks.</summary>
public sealed class IngestCounters
{
    private readonly long[] _rejected = new long[Enum.GetValues<RejectReason>().Length];
    private readonly long[] _packets = new long[Enum.GetValues<IngestTransport>().Length];
    private long _frames;
    private long _duplicates;
    private long _gaps;
    private long _bytes;

    public long Packets => _packets.Sum();
    public long Frames => Volatile.Read(ref _frames);
    public long Duplicates => Volatile.Read(ref _duplicates);
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Frames an encoder skipped (its sequence numbers jumped) as this relay saw them.</summary>
    public long Gaps => Volatile.Read(ref _gaps);

    public void Packet(IngestTransport transport, int bytes)
    {
        Interlocked.Increment(ref _packets[(int)transport]);
        Interlocked.Add(ref _bytes, bytes);
    }

    public long PacketsBy(IngestTransport transport) => Volatile.Read(ref _packets[(int)transport]);

    public void Frame() => Interlocked.Increment(ref _frames);

    public void Duplicate(int frames = 1) => Interlocked.Add(ref _duplicates, frames);

    public void Gap(long frames) => Interlocked.Add(ref _gaps, frames);

    public void Reject(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    public long Rejected(RejectReason reason) => Volatile.Read(ref _rejected[(int)reason]);

    public long RejectedTotal => _rejected.Sum();

    public IReadOnlyDictionary<string, long> RejectedByReason() =>
        Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None).ToDictionary(r => r.ToString(), Rejected);
}
