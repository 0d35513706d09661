using System.Net;

namespace Davecast.Edge.Connections;

/// <summary>The edge's open connections, in all and per client address, against their limits.</summary>
/// <param name="maxPerAddress">0: no limit per address.</param>
/// <param name="proxies">Addresses held to <paramref name="max"/> only: reverse proxies, whose address every client behind them shares.</param>
public sealed class ConnectionCounts(int max, int maxPerAddress, IEnumerable<IPAddress>? proxies = null)
{
    private readonly HashSet<IPAddress> _proxies = [.. (proxies ?? []).Select(Normalize)];
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private int _open;

    public int Open
    {
        get
        {
            lock (_gate) return _open;
        }
    }

    public int OpenFrom(IPAddress address)
    {
        lock (_gate) return _perAddress.GetValueOrDefault(Normalize(address));
    }

    /// <summary>Counts a new connection from <paramref name="address"/> (null: not an IP connection); why not, when a limit is reached.</summary>
    public EdgeConnectionRefusal? TryOpen(IPAddress? address)
    {
        lock (_gate)
        {
            if (_open >= max) return EdgeConnectionRefusal.MaxConnections;
            address = PerAddress(address);
            if (address is not null)
            {
                int from = _perAddress.GetValueOrDefault(address);
                if (from >= maxPerAddress) return EdgeConnectionRefusal.MaxPerAddress;
                _perAddress[address] = from + 1;
            }
            _open++;
            return null;
        }
    }

    /// <summary>A connection counted by <see cref="TryOpen"/> is closed.</summary>
    public void Close(IPAddress? address)
    {
        lock (_gate)
        {
            _open--;
            address = PerAddress(address);
            if (address is null) return;
            // Addresses with no connection left are forgotten, so that the map holds only open ones.
            if (_perAddress.TryGetValue(address, out int from) && from > 1) _perAddress[address] = from - 1;
            else _perAddress.Remove(address);
        }
    }

    // The address counted against maxPerAddress; null when none is.
    private IPAddress? PerAddress(IPAddress? address)
    {
        if (address is null || maxPerAddress <= 0) return null;
        address = Normalize(address);
        return _proxies.Contains(address) ? null : address;
    }

    // An IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d: the same address as a.b.c.d.
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
