using System.Net;
using Davecast.Edge.Connections;

namespace Davecast.Tests.Edge;

/// <summary>The edge's open connections against --max-connections and --max-connections-per-address.</summary>
public sealed class ConnectionCountsTests
{
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");

    [Fact]
    public void One_address_is_held_to_its_share_and_all_to_the_total_and_closing_frees_a_place()
    {
        var counts = new ConnectionCounts(max: 5, maxPerAddress: 3);
        for (int i = 0; i < 3; i++) Assert.Null(counts.TryOpen(A));
        Assert.Equal(EdgeConnectionRefusal.MaxPerAddress, counts.TryOpen(A));
        // The same client through a dual-stack socket is the same address.
        Assert.Equal(EdgeConnectionRefusal.MaxPerAddress, counts.TryOpen(A.MapToIPv6()));
        Assert.Null(counts.TryOpen(B));
        Assert.Null(counts.TryOpen(null));
        Assert.Equal(EdgeConnectionRefusal.MaxConnections, counts.TryOpen(B));
        Assert.Equal(5, counts.Open);

        counts.Close(A.MapToIPv6());
        Assert.Equal(2, counts.OpenFrom(A));
        Assert.Null(counts.TryOpen(A));
        foreach (var a in new[] { A, A, A, B }) counts.Close(a);
        counts.Close(null);
        Assert.Equal(0, counts.Open);
        Assert.Equal(0, counts.OpenFrom(A));
    }

    [Fact]
    public void A_proxy_is_held_to_the_total_only()
    {
        var counts = new ConnectionCounts(max: 10, maxPerAddress: 2, proxies: [IPAddress.Loopback]);
        for (int i = 0; i < 9; i++) Assert.Null(counts.TryOpen(IPAddress.Loopback.MapToIPv6()));
        Assert.Equal(0, counts.OpenFrom(IPAddress.Loopback));
        Assert.Null(counts.TryOpen(A));
        Assert.Equal(EdgeConnectionRefusal.MaxConnections, counts.TryOpen(IPAddress.Loopback));
        counts.Close(IPAddress.Loopback);
        Assert.Equal(9, counts.Open);
    }

    [Fact]
    public void No_limit_per_address_when_it_is_0()
    {
        var counts = new ConnectionCounts(max: 1000, maxPerAddress: 0);
        for (int i = 0; i < 1000; i++) Assert.Null(counts.TryOpen(A));
        Assert.Equal(EdgeConnectionRefusal.MaxConnections, counts.TryOpen(A));
    }
}
