using Davecast.Wire;

namespace Davecast.Silo.Window;

/// <summary>
/// Tells a replayed packet from a new one, for one encoder session. Every copy of a packet travels on its own path
/// and carries that path's id under the tag, so an authentic packet arrives once per (path, type, sequence): a
/// second arrival, or one older than the window, is a replay (or a copy too late to matter) and is dropped.
/// Sequences are remembered per path and per packet type, within a sliding window that tolerates reordering.
/// </summary>
public sealed class ReplayGuard(int window = 1024)
{
    private readonly Dictionary<int, SeenWindow> _seen = [];

    /// <summary>True when the packet is new on its path; false for a replay.</summary>
    public bool Offer(byte pathId, PacketType type, ulong sequence)
    {
        int key = pathId << 8 | (byte)type;
        if (!_seen.TryGetValue(key, out var seen)) _seen[key] = seen = new SeenWindow(window);
        return seen.Offer(sequence) == SeenResult.New;
    }
}
