namespace Davecast.Tests.Soak;

public sealed class WarmUpAgeTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan WarmUp = TimeSpan.FromMinutes(3);

    // The setup (relays, edges, 40 publishers, listeners) took 140 s before the load began.
    private static WarmUpAge Loaded()
    {
        var age = new WarmUpAge(WarmUp, T0);
        age.LoadBegins(T0.AddSeconds(140));
        return age;
    }

    [Fact]
    public void Nothing_is_due_before_the_load_begins()
    {
        var age = new WarmUpAge(WarmUp, T0);
        Assert.Null(age.Due(T0));
        Assert.Null(age.OfRestarted);
    }

    [Fact]
    public void Processes_started_before_the_load_are_read_a_warm_up_after_it_began()
    {
        var age = Loaded();
        Assert.Equal(T0.AddSeconds(320), age.Due(T0));
        Assert.Equal(T0.AddSeconds(320), age.Due(T0.AddSeconds(130)));
    }

    [Fact]
    public void A_restarted_process_is_read_at_the_age_the_first_ones_had_at_theirs()
    {
        var age = Loaded();
        Assert.Equal(TimeSpan.FromSeconds(320), age.OfRestarted);
        Assert.Equal(T0.AddSeconds(600 + 320), age.Due(T0.AddSeconds(600)));
    }

    [Fact]
    public void Workers_a_restarted_edge_keeps_for_minutes_are_past_at_its_first_figures()
    {
        // edge-a#2 of 1 December: 36 threads at rest at its first figures, 3 min 42 s after its restart; 31-34 from then on.
        var age = Loaded();
        var restarted = T0.AddSeconds(600);
        int Threads(DateTime t) => t - restarted < TimeSpan.FromMinutes(4) ? 36 : 32;
        Assert.Equal(32, AtRest(restarted, age.Due(restarted)!.Value, Threads));
        Assert.Equal(32, AtRest(restarted, restarted.AddMinutes(20), Threads));
        // Read 3 minutes after its start, as before, it compared 36 with 32 (-11 %).
        Assert.Equal(36, AtRest(restarted, restarted + WarmUp, Threads));
    }

    [Fact]
    public void A_restarted_process_that_leaks_a_thread_a_minute_still_grows_between_its_figures()
    {
        var age = Loaded();
        var restarted = T0.AddSeconds(600);
        int Threads(DateTime t) => 32 + (int)(t - restarted).TotalMinutes;
        int first = AtRest(restarted, age.Due(restarted)!.Value, Threads);
        int end = AtRest(restarted, restarted.AddMinutes(20), Threads);
        Assert.True((end - first) / (double)first > 0.10, $"{first} -> {end}");
    }

    // The count at rest at until, as the soak reads it: counted every 5 s from start.
    private static int AtRest(DateTime start, DateTime until, Func<DateTime, int> threads)
    {
        var count = new SettledCount(TimeSpan.FromSeconds(60));
        for (var t = start; t <= until; t += TimeSpan.FromSeconds(5)) count.Add(t, threads(t));
        return count.Least(until)!.Value;
    }
}
