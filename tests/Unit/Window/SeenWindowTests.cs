using Davecast.Silo.Window;

namespace Davecast.Tests.Window;

public sealed class SeenWindowTests
{
    [Fact]
    public void Each_sequence_is_new_once_then_duplicate()
    {
        var w = new SeenWindow(128);
        Assert.Equal(SeenResult.New, w.Offer(10));
        Assert.Equal(SeenResult.Duplicate, w.Offer(10));
        Assert.Equal(SeenResult.New, w.Offer(12));
        Assert.Equal(SeenResult.New, w.Offer(11)); // late but within the window
        Assert.Equal(SeenResult.Duplicate, w.Offer(11));
        Assert.Equal(12UL, w.Highest);
    }

    [Fact]
    public void Sequences_older_than_the_window_are_too_old()
    {
        var w = new SeenWindow(64);
        w.Offer(1000);
        Assert.Equal(SeenResult.TooOld, w.Offer(1000 - 64));
        Assert.Equal(SeenResult.New, w.Offer(1000 - 63));
    }

    [Fact]
    public void A_jump_forgets_bits_that_now_stand_for_new_numbers()
    {
        var w = new SeenWindow(64);
        for (ulong s = 0; s < 64; s++) w.Offer(s);
        w.Offer(64 + 30); // slots of 0..30 now stand for 64..94
        for (ulong s = 64; s < 94; s++) Assert.Equal(SeenResult.New, w.Offer(s));
        Assert.Equal(SeenResult.TooOld, w.Offer(30));
    }

    [Fact]
    public void Random_copies_over_four_paths_keep_each_sequence_exactly_once()
    {
        var rng = new Random(7);
        var w = new SeenWindow(4096);
        var arrivals = new List<ulong>();
        for (ulong s = 0; s < 5000; s++)
            for (int path = 0; path < 4; path++)
                if (rng.NextDouble() > 0.3) arrivals.Add(s);
        // Shuffle locally: copies arrive up to 20 positions out of order.
        for (int i = 0; i < arrivals.Count; i++)
        {
            int j = Math.Min(arrivals.Count - 1, i + rng.Next(20));
            (arrivals[i], arrivals[j]) = (arrivals[j], arrivals[i]);
        }
        var kept = arrivals.Where(s => w.Offer(s) == SeenResult.New).ToList();
        Assert.Equal(arrivals.Distinct().Count(), kept.Count);
        Assert.Equal(kept.Count, kept.Distinct().Count());
    }
}
