using Davecast.Grains;
using Davecast.Silo.Window;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Takes the frames each mount's encoders had accepted since the last batch interval out of the window, as one
/// <see cref="MountBatch"/> per mount, for <see cref="RelayPump"/> to send on the relay feed.
/// </summary>
public sealed class BatchCollector(IOptions<RelayOptions> options, MountTable mounts, RelayWindow window)
{
    private readonly RelayOptions _options = options.Value;

    /// <summary>Adds every mount's batch (mounts with nothing new have none) to <paramref name="batches"/>.</summary>
    public void TakeAll(List<MountBatch> batches)
    {
        foreach (var mount in mounts.Mounts)
            if (TakeBatch(mount) is { } batch) batches.Add(batch);
    }

    /// <summary>Frames of the mount's encoders accepted since the last call, as one stream event; null if none.</summary>
    internal MountBatch? TakeBatch(MountState mount)
    {
        lock (mount.Gate)
        {
            List<FrameBatch>? batches = null;
            foreach (var e in mount.Encoders.Values)
            {
                if (e.Pending.Count == 0) continue;
                if (e.RefusedReason is not null)
                {
                    e.Pending.Clear();
                    continue;
                }
                (batches ??= []).Add(window.Slice(mount.Mount, e, e.Pending));
                e.Pending.Clear();
            }
            if (batches is null) return null;
            return new MountBatch { Mount = mount.Mount, Relay = _options.Name, BatchNumber = ++mount.BatchNumber, Encoders = [.. batches] };
        }
    }
}
