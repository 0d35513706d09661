namespace Davecast.Tests.Soak;

public sealed class SettledCountTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SettledCount Read(params int[] everyFiveSeconds)
    {
        var count = new SettledCount(TimeSpan.FromSeconds(60));
        for (int i = 0; i < everyFiveSeconds.Length; i++) count.Add(T0.AddSeconds(5 * i), everyFiveSeconds[i]);
        return count;
    }

    [Fact]
    public void Workers_started_for_a_burst_and_retired_do_not_count()
    {
        // 36 at rest, 45 for a burst of listeners, back to 36 once the pool retires them; the figure is read during the burst.
        var count = Read(36, 36, 37, 36, 45, 45, 44);
        Assert.Equal(36, count.Least(T0.AddSeconds(30)));
    }

    [Fact]
    public void Threads_that_never_end_still_show_as_growth()
    {
        // One more thread every 5 s that never ends: the least of the last minute is the grown count, not the first.
        var count = Read([.. Enumerable.Range(0, 40).Select(i => 30 + i)]);
        Assert.Equal(30 + 40 - 13, count.Least(T0.AddSeconds(5 * 39)));
    }

    [Fact]
    public void Readings_older_than_the_window_are_forgotten()
    {
        var count = Read(20, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40);
        // The 20 was read 70 s before: outside the minute.
        Assert.Equal(40, count.Least(T0.AddSeconds(70)));
        Assert.Null(new SettledCount(TimeSpan.FromSeconds(60)).Least(T0));
    }
}
