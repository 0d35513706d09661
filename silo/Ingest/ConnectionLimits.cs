using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Davecast.Silo.Ingest;

/// <summary>Why the ingest closed a TCP connection it did not want; each reason has its own counter.</summary>
public enum TcpRefusal
{
    /// <summary>Its source address already held as many connections as one address may.</summary>
    AddressLimit,
    /// <summary>The ingest already held as many connections as it may.</summary>
    TotalLimit,
    /// <summary>No packet with a valid tag came within the authentication timeout.</summary>
    NoValidPacket,
}

/// <summary>
/// Counts the ingest's open TCP connections, in total and per source address, and admits a new one only below both
/// limits. An IPv6 source counts by its /64, which one host can hold whole. Thread-safe.
/// </summary>
public sealed class ConnectionLimits(int maxTotal, int maxPerAddress)
{
    private readonly Dictionary<UInt128, int> _perAddress = [];
    private readonly Lock _gate = new();
    private int _total;

    public int Open
    {
        get
        {
            lock (_gate) return _total;
        }
    }

    /// <summary>Counts a connection from <paramref name="source"/> and returns null, or returns why it is refused (then not counted).</summary>
    public TcpRefusal? TryAdmit(IPAddress source)
    {
        var key = Key(source);
        lock (_gate)
        {
            _perAddress.TryGetValue(key, out int held);
            if (held >= maxPerAddress) return TcpRefusal.AddressLimit;
            if (_total >= maxTotal) return TcpRefusal.TotalLimit;
            _perAddress[key] = held + 1;
            _total++;
            return null;
        }
    }

    /// <summary>Forgets a connection <see cref="TryAdmit"/> counted.</summary>
    public void Release(IPAddress source)
    {
        var key = Key(source);
        lock (_gate)
        {
            if (!_perAddress.TryGetValue(key, out int held)) return;
            if (held <= 1) _perAddress.Remove(key);
            else _perAddress[key] = held - 1;
            _total--;
        }
    }

    /// <summary>Addresses holding connections now (their entries are all the memory this costs).</summary>
    public int Addresses
    {
        get
        {
            lock (_gate) return _perAddress.Count;
        }
    }

    // IPv4 (also when mapped into IPv6) as itself, under a prefix no unicast IPv6 source has (ff.. is multicast);
    // IPv6 by its first 64 bits.
    private static UInt128 Key(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return new UInt128(ulong.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }
}
