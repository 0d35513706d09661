namespace Davecast.Grains;

/// <summary>
/// Control plane of one mount (keyed by mount name): which relays carry it, which encoders feed it,
/// which encoder is live. Relays report every second; no frame ever passes through it.
/// </summary>
public interface IMountGrain : IGrainWithStringKey
{
    /// <summary>
    /// A relay's periodic report. Returns the encoders the mount refuses, with the reason
    /// (for example codec parameters that differ from the mount's).
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> ReportAsync(RelayReport report);

    Task<MountInfo> GetInfoAsync();

    /// <summary>An edge's periodic report (listeners, repairs); shown with the mount's health.</summary>
    Task ReportEdgeAsync(EdgeReport report);

    /// <summary>
    /// A title set by an operator (an edge's <c>/admin/metadata</c>): every edge applies it until the source sets
    /// another. <paramref name="version"/> (the setting edge's clock, in ticks) orders titles set at several edges.
    /// </summary>
    Task SetTitleAsync(string title, long version);
}

/// <summary>How the mount grains elect the live encoder.</summary>
public sealed class ElectionOptions
{
    /// <summary>An encoder whose last frame is older than this is not healthy.</summary>
    public TimeSpan EncoderTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>A preferred encoder that comes back takes over again once it has been healthy this long.</summary>
    public TimeSpan PreferredHold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A planned switch happens this far ahead of the newest frame, so every edge reaches it after hearing of it.</summary>
    public TimeSpan SwitchMargin { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>The list of mounts in the cluster (single activation, key "all").</summary>
public interface IMountDirectoryGrain : IGrainWithStringKey
{
    Task RegisterAsync(string mount);

    Task<IReadOnlyList<string>> ListAsync();
}

/// <summary>
/// Read access to one relay's in-memory frame window (keyed by relay name, always placed on that relay's silo).
/// </summary>
public interface IRelayGrain : IGrainWithStringKey
{
    /// <summary>Frames of one encoder session with sequence >= <paramref name="fromSequence"/>, at most <paramref name="maxFrames"/>.</summary>
    Task<WindowSlice> GetFramesAsync(string mount, string encoder, ulong session, ulong fromSequence, int maxFrames);

    /// <summary>The newest frames of one encoder of the mount, at most <paramref name="maxFrames"/>.</summary>
    Task<WindowSlice> GetLatestAsync(string mount, string encoder, int maxFrames);
}

/// <summary>Implemented by the relay silo's ingest: the frames it holds.</summary>
public interface IRelayWindowSource
{
    string RelayName { get; }

    WindowSlice GetFrames(string mount, string encoder, ulong session, ulong fromSequence, int maxFrames);

    WindowSlice GetLatest(string mount, string encoder, int maxFrames);
}
