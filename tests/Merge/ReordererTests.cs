using Davecast.Merge;

namespace Davecast.Tests.Merge;

public sealed class ReordererTests
{
    private static List<ulong> Drain(Reorderer<string> r, long now, long hold)
    {
        var taken = new List<ulong>();
        while (r.TryTake(now, hold, out var s, out _)) taken.Add(s);
        return taken;
    }

    [Fact]
    public void Out_of_order_copies_come_out_in_order_once()
    {
        var r = new Reorderer<string>();
        foreach (var s in new ulong[] { 5, 3, 4, 3, 5, 6 }) r.Offer(s, $"f{s}", now: 0);
        r.StartAt(3);
        Assert.Equal([3UL, 4, 5, 6], Drain(r, 0, 100));
        Assert.Equal(2, r.Duplicates);
        Assert.False(r.Offer(4, "late", 0));
        Assert.Equal(1, r.Late);
    }

    [Fact]
    public void A_missing_frame_is_waited_for_then_given_up()
    {
        var r = new Reorderer<string>();
        r.Offer(0, "a", 0);
        r.StartAt(0);
        Assert.Equal([0UL], Drain(r, 0, 100));
        r.Offer(2, "c", now: 10);
        Assert.Empty(Drain(r, now: 50, hold: 100)); // still waiting for 1
        r.Offer(1, "b", now: 60);
        Assert.Equal([1UL, 2], Drain(r, 60, 100));

        r.Offer(5, "f", now: 200);
        Assert.Empty(Drain(r, 250, 100));
        Assert.Equal([5UL], Drain(r, 301, 100)); // 3 and 4 given up
        Assert.Equal(2, r.GapFrames);
        Assert.False(r.Offer(3, "too late", 302));
    }

    [Fact]
    public void Start_at_first_matching_drops_what_comes_before()
    {
        var r = new Reorderer<int>();
        for (ulong s = 10; s < 20; s++) r.Offer(s, (int)s * 100, 0);
        Assert.True(r.StartAtFirst(t => t >= 1500));
        Assert.Equal(15UL, r.Next);
        Assert.Equal([15UL, 16, 17, 18, 19], Drain2(r));
    }

    private static List<ulong> Drain2(Reorderer<int> r)
    {
        var taken = new List<ulong>();
        while (r.TryTake(0, 0, out var s, out _)) taken.Add(s);
        return taken;
    }
}
