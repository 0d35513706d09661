namespace Davecast.Tests.Soak;

public sealed class FaultDeckTests
{
    private const int Kinds = 6;

    private static int[] Deal(int seed, int count)
    {
        var deck = new FaultDeck(Kinds, new Random(seed));
        return [.. Enumerable.Range(0, count).Select(_ => deck.Next())];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(158692333)]
    [InlineData(int.MaxValue)]
    public void Every_cycle_deals_every_kind_once(int seed)
    {
        foreach (var cycle in Deal(seed, Kinds * 50).Chunk(Kinds))
            Assert.Equal(Enumerable.Range(0, Kinds), cycle.Order());
    }

    [Fact]
    public void The_same_seed_deals_the_same_order_and_other_seeds_other_orders()
    {
        Assert.Equal(Deal(42, 30), Deal(42, 30));
        // Twenty seeds, thirty faults each: the chance of two equal orders is about 20² / 720⁵, nil.
        var orders = Enumerable.Range(1, 20).Select(seed => string.Join(",", Deal(seed, 30))).ToList();
        Assert.Equal(orders.Count, orders.Distinct().Count());
    }

    [Fact]
    public void Twenty_faults_meet_every_kind_at_least_three_times()
    {
        foreach (int seed in Enumerable.Range(1, 100))
            Assert.All(Deal(seed, 20).CountBy(k => k), kind => Assert.True(kind.Value >= 3, $"seed {seed}: kind {kind.Key} {kind.Value} times"));
    }
}
