namespace Davecast.Grains;

public sealed class MountDirectoryGrain(TimeProvider time) : Grain, IMountDirectoryGrain
{
    /// <summary>A relay not heard from for this long is left out of the list (it registers every second).</summary>
    public static readonly TimeSpan RelayTimeout = TimeSpan.FromSeconds(30);

    private readonly SortedSet<string> _mounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Feed, DateTimeOffset At)> _relays = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _snapshot = [];

    public Task RegisterAsync(string mount)
    {
        if (_mounts.Add(mount)) _snapshot = [.. _mounts];
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult(_snapshot);

    public Task RegisterRelayAsync(string relay, string feedEndpoint)
    {
        _relays[relay] = (feedEndpoint, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<RelayEndpoint>> ListRelaysAsync()
    {
        var now = time.GetUtcNow();
        IReadOnlyList<RelayEndpoint> list =
            [.. _relays.Where(r => now - r.Value.At < RelayTimeout).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new RelayEndpoint(r.Key, r.Value.Feed))];
        return Task.FromResult(list);
    }
}
