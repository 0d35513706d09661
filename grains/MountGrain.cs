using Davecast.Frames;
using Davecast.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Davecast.Grains;

/// <summary>
/// Keeps what the relays report about one mount and elects the live encoder by <see cref="ElectionRule"/>. While the
/// live encoder is healthy it stays live, unless an encoder of higher priority has been healthy for the preferred
/// hold time: then the switch is planned at a media time a little ahead, derived from media timestamps only, so that
/// every edge (of every site that sees the same encoders) switches at the same frame. When the live encoder is not
/// healthy, the healthy encoder of highest priority (ties: ordinal name) takes over at once (the edges have already
/// bridged the gap with it by themselves).
/// </summary>
public sealed class MountGrain(
    ILogger<MountGrain> logger,
    TimeProvider time,
    IOptions<ElectionOptions> options,
    [PersistentState("mount", MountRecord.Storage)] IPersistentState<MountRecord> record) : Grain, IMountGrain
{
    /// <summary>A relay that has not reported for this long no longer carries the mount.</summary>
    public static readonly TimeSpan RelayTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A new activation waits this long before its first election, so that every encoder that is already running
    /// has reported and the preferred one is chosen at once, not after a switch.
    /// </summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DirectoryRefresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan EdgeTimeout = TimeSpan.FromSeconds(30);

    private readonly ElectionOptions _options = options.Value;
    private readonly Dictionary<string, DateTimeOffset> _relays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EncoderEntry> _encoders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EdgeReport> _edges = new(StringComparer.Ordinal);
    private readonly MountHistory _history = new();
    private CodecParameters? _parameters;
    private EncoderEntry? _live;
    private ulong _liveSession;
    private long? _switchAt;
    private DateTimeOffset _activatedAt;
    private DateTimeOffset _registeredAt = DateTimeOffset.MinValue;
    private int _order;

    private string Mount => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = time.GetUtcNow();
        _parameters = record.State.Parameters;
        if (_parameters is { } p) logger.LogInformation("Mount {Mount}: restored codec parameters {Parameters}", Mount, p);
        return Task.CompletedTask;
    }

    // Stores what changed; a storage that cannot be reached costs the record, never the report (audio goes on).
    private async Task SaveAsync()
    {
        if (_parameters is not { } p || record.State.Parameters == p) return;
        record.State.Parameters = p;
        try
        {
            await record.WriteStateAsync();
        }
        catch (Exception ex)
        {
            logger.LogWarning("Mount {Mount}: cannot store its record: {Error}", Mount, ex.Message);
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> ReportAsync(RelayReport report)
    {
        var now = time.GetUtcNow();
        _relays[report.Relay] = now;
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in report.Encoders)
        {
            if (!_encoders.TryGetValue(e.Encoder, out var entry))
                _encoders[e.Encoder] = entry = new EncoderEntry(e.Encoder, _order++);
            entry.Apply(report.Relay, e, now);
            if (entry.Announcement is not { } a) continue;
            _parameters ??= a.Parameters;
            entry.RefusedReason = a.Parameters.IsSpliceCompatibleWith(_parameters.Value)
                ? null
                : $"codec parameters {a.Parameters} differ from mount /{Mount}'s {_parameters.Value}";
            if (entry.RefusedReason is { } reason)
            {
                if (!entry.RefusalLogged) logger.LogWarning("Mount {Mount}: encoder {Encoder} refused: {Reason}", Mount, e.Encoder, reason);
                entry.RefusalLogged = true;
                refused[e.Encoder] = reason;
            }
        }
        Elect(now);
        // The relays' reports (every second) are the history's clock: no timer keeps an idle grain awake.
        _history.Sample(now, () => (_live?.FramesPerSecond ?? 0, _edges.Values.Where(e => now - e.At <= EdgeTimeout).Sum(e => e.Listeners), _live?.Encoder));
        await SaveAsync();
        if (now - _registeredAt > DirectoryRefresh)
        {
            _registeredAt = now;
            await GrainFactory.GetGrain<IMountDirectoryGrain>("all").RegisterAsync(Mount);
        }
        return refused;
    }

    public Task ReportEdgeAsync(EdgeReport report)
    {
        _edges[report.Edge] = report;
        _history.OnEdgeReport(report, time.GetUtcNow());
        return Task.CompletedTask;
    }

    public Task<MountHistorySnapshot> GetHistoryAsync() => Task.FromResult(_history.Snapshot(time.GetUtcNow()));

    private OperatorTitle? _adminTitle;

    public Task SetTitleAsync(string title, long version)
    {
        if (OperatorTitle.IsNewer(version, _adminTitle?.Version ?? 0)) _adminTitle = new OperatorTitle(title, version, _live?.Title);
        return Task.CompletedTask;
    }

    public Task<MountInfo> GetInfoAsync()
    {
        var now = time.GetUtcNow();
        Elect(now);
        foreach (var gone in _edges.Where(e => now - e.Value.At > EdgeTimeout).Select(e => e.Key).ToList()) _edges.Remove(gone);
        if (_adminTitle is { } admin && !admin.HoldsOver(_live?.Title)) _adminTitle = null;
        var relays = _relays.Where(r => now - r.Value < RelayTimeout).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var info = new MountInfo(
            Mount,
            _parameters,
            _live?.Encoder,
            relays,
            _encoders.Values.OrderBy(e => e.Order).Select(e => e.Status(now)).ToList(),
            _live?.Announcement?.Headers ?? new Dictionary<string, string>(),
            _live?.Title,
            _liveSession,
            _switchAt,
            [.. _edges.Values.OrderBy(e => e.Edge, StringComparer.Ordinal)],
            _adminTitle?.Title,
            _adminTitle?.Version ?? 0,
            _options.EncoderTimeout);
        return Task.FromResult(info);
    }

    private readonly List<ElectionCandidate> _candidates = [];

    private void Elect(DateTimeOffset now)
    {
        _candidates.Clear();
        foreach (var e in _encoders.Values)
        {
            e.HealthySince = ElectionRule.HealthySince(e.Candidate(), now, _options);
            _candidates.Add(e.Candidate());
        }
        if (now - _activatedAt < Settle) return;

        if (ElectionRule.Elect(_candidates, _live?.Encoder, _liveSession, now, _options) is not { } outcome) return;
        var previous = _live;
        var next = _encoders[outcome.Encoder];
        _switchAt = outcome.SwitchAtMicros;
        _live = next;
        _liveSession = outcome.Session;
        _history.OnElection(now, previous?.Encoder, next.Encoder, planned: _switchAt is not null);
        logger.LogInformation(
            "Mount {Mount}: live encoder {Previous} -> {Next} ({How})",
            Mount, previous?.Encoder ?? "(none)", next.Encoder, _switchAt is { } at ? "planned, at media time " + MediaTime.ToIso(at) : "at once");
    }

    private sealed class EncoderEntry(string encoder, int order)
    {
        private readonly Dictionary<string, EncoderReport> _byRelay = new(StringComparer.Ordinal);
        private (DateTimeOffset At, long Frames) _rateMark;

        public string Encoder { get; } = encoder;
        public int Order { get; } = order;
        public ulong Session { get; private set; }
        public EncoderAnnouncement? Announcement { get; private set; }
        public string? Title { get; private set; }
        public DateTimeOffset LastFrameAt { get; private set; }
        public long LastTimestampMicros { get; private set; }
        /// <summary>The lowest sequence of this session any relay accepted, and its media timestamp; null until one tells.</summary>
        public (ulong Sequence, long TimestampMicros)? First { get; private set; }
        public DateTimeOffset? HealthySince { get; set; }
        public string? RefusedReason { get; set; }
        public bool RefusalLogged { get; set; }
        public double FramesPerSecond { get; private set; }
        public int Priority => Announcement?.Priority ?? 0;

        public void Apply(string relay, EncoderReport r, DateTimeOffset now)
        {
            if (r.Session < Session) return;
            if (r.Session > Session)
            {
                Session = r.Session;
                _byRelay.Clear();
                RefusalLogged = false;
                Announcement = null;
                HealthySince = null;
                LastFrameAt = default;
                First = null;
                _rateMark = default;
            }
            _byRelay[relay] = r;
            if (r.Announcement is not null) Announcement = r.Announcement;
            if (r.Title is not null) Title = r.Title;
            if (r.LastFrameAt > LastFrameAt) LastFrameAt = r.LastFrameAt;
            if (r.LastTimestampMicros > LastTimestampMicros) LastTimestampMicros = r.LastTimestampMicros;
            First = ElectionRule.LowestFirst(First, r);
            long frames = _byRelay.Values.Max(x => (long)x.LastSequence);
            if (_rateMark.At == default) _rateMark = (now, frames);
            else if (now - _rateMark.At >= TimeSpan.FromSeconds(5))
            {
                FramesPerSecond = (frames - _rateMark.Frames) / (now - _rateMark.At).TotalSeconds;
                _rateMark = (now, frames);
            }
        }

        public ElectionCandidate Candidate() => new(
            Encoder, Session, Priority, RefusedReason is null && Announcement is not null, LastFrameAt, HealthySince,
            LastTimestampMicros, First?.TimestampMicros);

        public EncoderStatus Status(DateTimeOffset now) => new(
            Encoder,
            Session,
            Priority,
            Announcement?.Parameters,
            _byRelay.Values.Select(r => r.LastSequence).DefaultIfEmpty().Max(),
            LastFrameAt,
            _byRelay.Keys.Order(StringComparer.Ordinal).ToList(),
            _byRelay.Values.Select(r => r.FramesAccepted).DefaultIfEmpty().Max(),
            _byRelay.Values.Sum(r => r.Duplicates),
            _byRelay.Values.Select(r => r.Gaps).DefaultIfEmpty().Min(),
            RefusedReason,
            LastTimestampMicros,
            HealthySince,
            FramesPerSecond);
    }
}
