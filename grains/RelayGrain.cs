namespace Davecast.Grains;

/// <summary>Serves reads of the local relay's frame window. Lives on the relay it is named after.</summary>
[RelayLocalPlacement]
public sealed class RelayGrain(IRelayWindowSource window) : Grain, IRelayGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (this.GetPrimaryKeyString() != window.RelayName)
            throw new InvalidOperationException($"RelayGrain '{this.GetPrimaryKeyString()}' activated on relay '{window.RelayName}'.");
        return Task.CompletedTask;
    }

    public Task<WindowSlice> GetFramesAsync(string mount, string encoder, ulong session, ulong fromSequence, int maxFrames) =>
        Task.FromResult(window.GetFrames(mount, encoder, session, fromSequence, maxFrames));

    public Task<WindowSlice> GetLatestAsync(string mount, string encoder, int maxFrames) =>
        Task.FromResult(window.GetLatest(mount, encoder, maxFrames));
}
