using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Davecast.Net;

/// <summary>
/// A port's open connections, in total and per source, admitting a new one only below both limits: the one rule for
/// every port a stranger can open connections to. A source is an IPv4 address, or an IPv6 /64, which one host can hold
/// whole. Only sources with open connections are remembered. Thread-safe.
/// </summary>
/// <param name="maxTotal">Connections the port may hold.</param>
/// <param name="maxPerSource">Connections one source may hold; 0: no limit per source.</param>
/// <param name="exempt">Addresses held to <paramref name="maxTotal"/> only: reverse proxies, whose address every client behind them shares.</param>
public sealed class ConnectionCounts(int maxTotal, int maxPerSource, IEnumerable<IPAddress>? exempt = null)
{
    private readonly HashSet<UInt128> _exempt = [.. (exempt ?? []).Select(SourceOf)];
    private readonly Dictionary<UInt128, int> _perSource = [];
    private readonly Lock _gate = new();
    private int _open;

    /// <summary>Connections open now.</summary>
    public int Open
    {
        get
        {
            lock (_gate) return _open;
        }
    }

    /// <summary>Sources holding connections now (their entries are all the memory this costs).</summary>
    public int Sources
    {
        get
        {
            lock (_gate) return _perSource.Count;
        }
    }

    /// <summary>Connections open now from the source of <paramref name="address"/>.</summary>
    public int OpenFrom(IPAddress address)
    {
        lock (_gate) return _perSource.GetValueOrDefault(SourceOf(address));
    }

    /// <summary>
    /// Counts a new connection from <paramref name="address"/> (null: not an IP connection, counted in the total only)
    /// and returns null; or returns the limit it would pass, and counts nothing.
    /// </summary>
    public ConnectionLimit? TryOpen(IPAddress? address)
    {
        lock (_gate)
        {
            if (_open >= maxTotal) return ConnectionLimit.Total;
            if (Counted(address) is { } source)
            {
                int held = _perSource.GetValueOrDefault(source);
                if (held >= maxPerSource) return ConnectionLimit.PerSource;
                _perSource[source] = held + 1;
            }
            _open++;
            return null;
        }
    }

    /// <summary>Forgets a connection <see cref="TryOpen"/> counted, from the same <paramref name="address"/>.</summary>
    public void Close(IPAddress? address)
    {
        lock (_gate)
        {
            _open--;
            if (Counted(address) is not { } source) return;
            if (_perSource.TryGetValue(source, out int held) && held > 1) _perSource[source] = held - 1;
            else _perSource.Remove(source);
        }
    }

    // The source counted against maxPerSource; null when none is.
    private UInt128? Counted(IPAddress? address)
    {
        if (address is null || maxPerSource <= 0) return null;
        var source = SourceOf(address);
        return _exempt.Contains(source) ? null : source;
    }

    // IPv4 (also when a dual-stack socket shows it mapped into IPv6) as itself, under a prefix no unicast IPv6 source
    // has (ff.. is multicast); IPv6 by its first 64 bits.
    private static UInt128 SourceOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return new UInt128(ulong.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        return new UInt128(BinaryPrimitives.ReadUInt64BigEndian(bytes), 0);
    }
}
