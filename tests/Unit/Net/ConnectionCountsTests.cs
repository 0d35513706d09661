using System.Net;
using Davecast.Net;

namespace Davecast.Tests.Net;

/// <summary>
/// A port's open connections against its limits, in total and per source: the rule of the relay's TCP ingest
/// (--ingest-max-connections, --ingest-max-connections-per-address) and of the edge's port (--max-connections,
/// --max-connections-per-address, --proxy-address).
/// </summary>
public sealed class ConnectionCountsTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void One_source_is_held_to_its_share_and_all_to_the_total_and_closing_frees_a_place()
    {
        var counts = new ConnectionCounts(maxTotal: 5, maxPerSource: 3);
        for (int i = 0; i < 3; i++) Assert.Null(counts.TryOpen(A));
        Assert.Equal(ConnectionLimit.PerSource, counts.TryOpen(A));
        // The same client through a dual-stack socket is the same source.
        Assert.Equal(ConnectionLimit.PerSource, counts.TryOpen(A.MapToIPv6()));
        Assert.Null(counts.TryOpen(B));
        Assert.Null(counts.TryOpen(null));
        Assert.Equal(ConnectionLimit.Total, counts.TryOpen(B));
        Assert.Equal(5, counts.Open);

        counts.Close(A.MapToIPv6());
        Assert.Equal(2, counts.OpenFrom(A));
        Assert.Null(counts.TryOpen(A));
        foreach (var a in new[] { A, A, A, B }) counts.Close(a);
        counts.Close(null);
        Assert.Equal(0, counts.Open);
        Assert.Equal(0, counts.OpenFrom(A));
        // Nothing is kept of a source once its connections are gone.
        Assert.Equal(0, counts.Sources);
    }

    [Fact]
    public void An_IPv6_host_is_one_source_for_its_whole_64()
    {
        var counts = new ConnectionCounts(maxTotal: 10, maxPerSource: 2);
        Assert.Null(counts.TryOpen(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Null(counts.TryOpen(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.Equal(ConnectionLimit.PerSource, counts.TryOpen(IPAddress.Parse("2001:db8:1:2::77")));
        Assert.Equal(2, counts.OpenFrom(IPAddress.Parse("2001:db8:1:2:abcd::1")));
        // The next /64 is another source, and no IPv4 address shares a source with any IPv6 one.
        Assert.Null(counts.TryOpen(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Null(counts.TryOpen(IPAddress.Parse("0.0.0.1")));
        Assert.Null(counts.TryOpen(IPAddress.Parse("::1")));
        Assert.Equal(4, counts.Sources);
        foreach (var s in new[] { "2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:3::1", "0.0.0.1", "::1" })
            counts.Close(IPAddress.Parse(s));
        Assert.Equal(0, counts.Open);
        Assert.Equal(0, counts.Sources);
    }

    [Fact]
    public void An_exempt_address_is_held_to_the_total_only()
    {
        var counts = new ConnectionCounts(maxTotal: 10, maxPerSource: 2, exempt: [IPAddress.Loopback]);
        for (int i = 0; i < 9; i++) Assert.Null(counts.TryOpen(IPAddress.Loopback.MapToIPv6()));
        Assert.Equal(0, counts.OpenFrom(IPAddress.Loopback));
        Assert.Null(counts.TryOpen(A));
        Assert.Equal(ConnectionLimit.Total, counts.TryOpen(IPAddress.Loopback));
        counts.Close(IPAddress.Loopback);
        Assert.Equal(9, counts.Open);
    }

    [Fact]
    public void No_limit_per_source_when_it_is_0()
    {
        var counts = new ConnectionCounts(maxTotal: 1000, maxPerSource: 0);
        for (int i = 0; i < 1000; i++) Assert.Null(counts.TryOpen(A));
        Assert.Equal(ConnectionLimit.Total, counts.TryOpen(A));
        Assert.Equal(0, counts.Sources);
    }
}
