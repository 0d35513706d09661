using System.Diagnostics;
using Davecast.Edge.Listeners;
using Davecast.Edge.Outputs;
using Davecast.Edge.Outputs.Hls;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Edge.Splicing;
using Davecast.Frames;
using Davecast.Grains;

namespace Davecast.Edge;

/// <summary>
/// One mount at this edge, wiring its parts: the <see cref="SpliceFeed"/> that builds its programme from the
/// relays' copies, the outputs the programme goes to (the Icecast listener stream, then HLS), the listeners of
/// each (<see cref="MountListeners"/>, <see cref="HlsSessions"/>), and the mount's state as the sites see it.
/// </summary>
public sealed class MountFeed
{
    private readonly SpliceFeed _splice;
    private readonly IcecastOutput _icecast;
    private readonly MountListeners _listeners;
    private readonly TimeSpan _mountTimeout;
    private bool _ended;
    private long _burstFloor;

    /// <param name="backfill">Asks the relays for a backfill request's frames and offers each answer as it comes.</param>
    public MountFeed(string mount, EdgeOptions options, Func<BackfillRequest, Action<FrameBatch>, Task> backfill, ILogger logger)
    {
        Mount = mount;
        _icecast = new IcecastOutput(BurstLimit.Of(options), options.WriteInterval);
        _listeners = new MountListeners(options.MaxListenersPerMount);
        Hls = options.Hls ? new HlsOutput(options.HlsSegmentSeconds, options.HlsWindow) : null;
        // A player asks for the playlist about once a target duration: three missed, it has gone.
        HlsSessions = new HlsSessions(TimeSpan.FromSeconds(3 * options.HlsSegmentSeconds));
        _mountTimeout = options.MountTimeout;
        long f = Stopwatch.Frequency;
        var timing = new SplicerTiming(
            Hold: (long)(options.Hold.TotalSeconds * f),
            BackfillWait: (long)(options.BackfillWait.TotalSeconds * f),
            EncoderTimeout: (long)(ElectionOptions.DefaultEncoderTimeout.TotalSeconds * f),
            BackupWait: 2 * f);
        IMountOutput[] outputs = Hls is null ? [_icecast] : [_icecast, Hls];
        _splice = new SpliceFeed(mount, timing, outputs, backfill, logger);
    }

    public string Mount { get; }

    /// <summary>The Icecast listener stream's frames.</summary>
    public OutputRing Output => _icecast.Ring;

    /// <summary>The HLS stream's segments.</summary>
    /// <summary>The mount's HLS segments; null when the edge serves no HLS (<c>--hls</c> not given).</summary>
    public HlsOutput? Hls { get; }

    /// <summary>The clients playing the HLS stream now.</summary>
    public HlsSessions HlsSessions { get; }

    public MountInfo? Info { get; private set; }

    public CodecParameters? Parameters => Info?.Parameters;

    /// <summary>
    /// Whether the mount has had no live encoder at this edge for <c>--mount-timeout</c>: it is then gone, as an
    /// Icecast mount whose source left. A failover to a backup encoder or another relay keeps an encoder live.
    /// </summary>
    public bool Ended => _splice.SinceLive(Stopwatch.GetTimestamp()) is { } since && since > _mountTimeout;

    /// <summary>Whether listeners can have it now: its codec known, audio emitted, and not <see cref="Ended"/>.</summary>
    public bool Playable => Parameters is not null && Output.Head > 0 && !Ended;

    /// <summary>The oldest frame a new listener's burst may start at: none from before the mount last ended.</summary>
    public long BurstFloor => Interlocked.Read(ref _burstFloor);

    /// <summary>
    /// The catalog's check, a few times a second: closes the listeners of an ended mount (those admitted just before
    /// it ended too), and says whether it ended or came back since the last check.
    /// </summary>
    public MountLifeChange CheckLife(out int closed)
    {
        bool ended = Ended;
        closed = ended ? _listeners.CloseAll() : 0;
        if (ended == _ended) return MountLifeChange.None;
        _ended = ended;
        if (!ended) return MountLifeChange.Resumed;
        Interlocked.Exchange(ref _burstFloor, Output.Head);
        return MountLifeChange.Ended;
    }

    /// <summary>Listeners connected to this mount at this edge now.</summary>
    public int Listeners => _listeners.Count;

    /// <summary>HLS listeners of this mount at this edge now (clients seen lately, see <see cref="Outputs.Hls.HlsSessions"/>).</summary>
    public int HlsListeners => HlsSessions.Count;

    /// <summary>Listeners of either kind: Icecast connections and HLS clients.</summary>
    public int AllListeners => Listeners + HlsListeners;

    /// <summary>The listeners connected to this mount at this edge now, oldest first.</summary>
    public IReadOnlyList<ListenerSession> ListenerSessions => _listeners.Snapshot();

    /// <summary>The most listeners this mount has had at once at this edge.</summary>
    public int ListenerPeak => _listeners.Peak;

    /// <summary>Audio bytes written to this mount's listeners at this edge (bursts included).</summary>
    public long ListenerBytes => _listeners.Bytes;

    /// <summary>When this edge emitted the mount's first frame.</summary>
    public DateTimeOffset? StreamStart => _splice.StreamStart;

    public long BackfilledFrames => _splice.BackfilledFrames;

    /// <summary>
    /// The bitrate to announce (icy-br, status-json): what the encoder announced, else what its frame headers say
    /// (MPEG audio), else what the frames measure (AAC).
    /// </summary>
    public int BitrateKbps
    {
        get
        {
            if (Info?.Headers is { } h && h.TryGetValue("icy-br", out var br) && int.TryParse(br, out int announced) && announced > 0) return announced;
            if (Parameters is not { } p) return 0;
            return p.BitrateKbps > 0 ? p.BitrateKbps : Output.MeasuredBitrateKbps(p.FrameDurationMicros);
        }
    }

    /// <summary>The title listeners hear now.</summary>
    public string? Title => Output.Title?.Title;

    /// <summary>Adds a listener unless the mount already has <c>--max-listeners-per-mount</c>.</summary>
    public bool TryAddListener(ListenerSession listener) => _listeners.TryAdd(listener);

    public void RemoveListener(ListenerSession listener) => _listeners.Remove(listener);

    public void CountListenerBytes(long bytes) => _listeners.CountBytes(bytes);

    /// <summary>Drops every listener whose queue (bytes emitted that it has not taken) passed <paramref name="limit"/>.</summary>
    public void DropSlowListeners(long limit) => _listeners.DropSlow(Output.BytesOut, limit);

    /// <summary>
    /// An operator's title (<c>/admin/metadata</c> at this edge): applies from the next frame this edge emits.
    /// <paramref name="version"/> orders titles set through different edges; an older one is ignored.
    /// </summary>
    public void SetAdminTitle(string title, long version) => _splice.SetOperatorTitle(title, version);

    /// <summary>The mount's state as the sites see it (combined): its codec, election, priorities and titles.</summary>
    public void Apply(MountInfo info)
    {
        Info = info;
        _splice.Apply(info);
    }

    /// <summary>An edge's report on this mount, for the mount's health.</summary>
    public EdgeReport Report(string edge) => _splice.Report(edge, Listeners, Output.BytesOut);

    /// <summary>One relay's frames of one batch interval.</summary>
    public void Accept(MountBatch batch) => _splice.Accept(batch);

    /// <summary>Moves every frame that is ready to the outputs. Called on each batch and by the catalog's timer.</summary>
    public void Pump() => _splice.Pump();
}

/// <summary>What <see cref="MountFeed.CheckLife"/> found changed.</summary>
public enum MountLifeChange { None, Ended, Resumed }
