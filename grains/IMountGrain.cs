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

    /// <summary>The last 15 minutes: frame rate, listeners and elections (<see cref="MountHistory"/>), for <c>/mounts</c>.</summary>
    Task<MountHistorySnapshot> GetHistoryAsync();

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
    public static readonly TimeSpan DefaultEncoderTimeout = TimeSpan.FromSeconds(3);

    /// <summary>An encoder whose last frame is older than this is not healthy; edges get it in <see cref="MountInfo.EncoderTimeout"/>.</summary>
    public TimeSpan EncoderTimeout { get; set; } = DefaultEncoderTimeout;

    /// <summary>A preferred encoder that comes back takes over again once it has been healthy this long.</summary>
    public TimeSpan PreferredHold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A planned switch happens this far ahead of the newest frame, so every edge reaches it after hearing of it.</summary>
    public TimeSpan SwitchMargin { get; set; } = TimeSpan.FromSeconds(3);
}

/// <summary>The mounts and relays of one site's cluster (single activation, key "all").</summary>
public interface IMountDirectoryGrain : IGrainWithStringKey
{
    Task RegisterAsync(string mount);

    Task<IReadOnlyList<string>> ListAsync();

    /// <summary>A relay's periodic word that it is up, with the host:port of its feed (edges connect there).</summary>
    Task RegisterRelayAsync(string relay, string feedEndpoint);

    /// <summary>The relays heard from lately, with their feed endpoints.</summary>
    Task<IReadOnlyList<RelayEndpoint>> ListRelaysAsync();
}

/// <summary>Where an edge reaches one relay's feed.</summary>
[GenerateSerializer, Immutable]
public sealed record RelayEndpoint([property: Id(0)] string Relay, [property: Id(1)] string Feed);
