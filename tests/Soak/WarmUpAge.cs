namespace Davecast.Tests.Soak;

/// <summary>
/// When each process's first figures are due: at the same age for all. The processes started before the load are
/// read a warm-up after it began; one a fault restarted is read once it is as old as the first of those was then
/// (its start, the setup's length and the warm-up). A new process keeps thread-pool workers and untiered code for
/// minutes (edge-a#2 of 1 December held 36 threads 3 minutes after its restart, 31-34 from then on); read sooner, it
/// would be compared from a start the originals were long past. A thread or fd that never ends is still in its first
/// figures and in every one after, so growth still shows.
/// </summary>
public sealed class WarmUpAge(TimeSpan warmUp, DateTime soakStarted)
{
    private DateTime? _loadBegan;

    /// <summary>The load is on from <paramref name="at"/>.</summary>
    public void LoadBegins(DateTime at) => _loadBegan = at;

    /// <summary>How long a process started after the load began runs before its first figures; null before the load begins.</summary>
    public TimeSpan? OfRestarted => _loadBegan - soakStarted + warmUp;

    /// <summary>When the first figures of a process started at <paramref name="started"/> are due; null before the load begins.</summary>
    public DateTime? Due(DateTime started) =>
        _loadBegan is not { } load ? null
        : started <= load ? load + warmUp
        : started + OfRestarted;
}
