namespace Davecast.Grains;

public sealed class MountDirectoryGrain : Grain, IMountDirectoryGrain
{
    private readonly SortedSet<string> _mounts = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _snapshot = [];

    public Task RegisterAsync(string mount)
    {
        if (_mounts.Add(mount)) _snapshot = [.. _mounts];
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult(_snapshot);
}
