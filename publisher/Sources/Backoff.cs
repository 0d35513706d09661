namespace Davecast.Publisher.Sources;

/// <summary>Waits between reconnection attempts: 0.5 s, doubling up to a longest wait; from the start again after <see cref="Reset"/>.</summary>
public sealed class Backoff(TimeSpan longest)
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(500);

    private TimeSpan _next = First < longest ? First : longest;

    /// <summary>The wait before the next attempt; the one after is twice as long, up to the longest.</summary>
    public TimeSpan Next()
    {
        var wait = _next;
        _next = _next * 2 < longest ? _next * 2 : longest;
        return wait;
    }

    public void Reset() => _next = First < longest ? First : longest;
}
