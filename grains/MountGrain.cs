using Davecast.Frames;
using Microsoft.Extensions.Logging;

namespace Davecast.Grains;

/// <summary>
/// Keeps what the relays report about one mount and elects the live encoder: the highest priority among
/// encoders that sent a frame recently; among equals, the one already live, then the one seen first.
/// </summary>
public sealed class MountGrain(ILogger<MountGrain> logger, TimeProvider time) : Grain, IMountGrain
{
    /// <summary>A relay that has not reported for this long no longer carries the mount.</summary>
    public static readonly TimeSpan RelayTimeout = TimeSpan.FromSeconds(5);

    /// <summary>An encoder whose last frame is older than this is not healthy.</summary>
    public static readonly TimeSpan EncoderTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A new activation waits this long before its first election, so that every encoder that is already running
    /// has reported and the preferred one is chosen at once, not after a switch.
    /// </summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan DirectoryRefresh = TimeSpan.FromSeconds(10);
    private DateTimeOffset _activatedAt;

    private readonly Dictionary<string, DateTimeOffset> _relays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EncoderEntry> _encoders = new(StringComparer.Ordinal);
    private CodecParameters? _parameters;
    private string? _live;
    private DateTimeOffset _registeredAt = DateTimeOffset.MinValue;
    private string Mount => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = time.GetUtcNow();
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyDictionary<string, string>> ReportAsync(RelayReport report)
    {
        var now = time.GetUtcNow();
        _relays[report.Relay] = now;
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in report.Encoders)
        {
            if (!_encoders.TryGetValue(e.Encoder, out var entry))
                _encoders[e.Encoder] = entry = new EncoderEntry(e.Encoder, _encoders.Count);
            entry.Apply(report.Relay, e);
            if (entry.Announcement is { } a)
            {
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
        }
        Elect(now);
        if (now - _registeredAt > DirectoryRefresh)
        {
            _registeredAt = now;
            await GrainFactory.GetGrain<IMountDirectoryGrain>("all").RegisterAsync(Mount);
        }
        return refused;
    }

    public Task<MountInfo> GetInfoAsync()
    {
        var now = time.GetUtcNow();
        Elect(now);
        var relays = _relays.Where(r => now - r.Value < RelayTimeout).Select(r => r.Key).Order(StringComparer.Ordinal).ToList();
        var live = _live is null ? null : _encoders[_live];
        var info = new MountInfo(
            Mount,
            _parameters,
            _live,
            relays,
            _encoders.Values.OrderBy(e => e.Order).Select(e => e.Status()).ToList(),
            live?.Announcement?.Headers ?? new Dictionary<string, string>(),
            live?.Title);
        return Task.FromResult(info);
    }

    private void Elect(DateTimeOffset now)
    {
        if (now - _activatedAt < Settle) return;
        EncoderEntry? best = null;
        foreach (var e in _encoders.Values)
        {
            if (e.RefusedReason is not null || e.Announcement is null || now - e.LastFrameAt > EncoderTimeout) continue;
            if (best is null || Better(e, best)) best = e;
        }
        var next = best?.Encoder;
        if (next != _live)
        {
            logger.LogInformation("Mount {Mount}: live encoder {Previous} -> {Next}", Mount, _live ?? "(none)", next ?? "(none)");
            _live = next;
        }
    }

    private bool Better(EncoderEntry a, EncoderEntry b)
    {
        if (a.Priority != b.Priority) return a.Priority > b.Priority;
        if (a.Encoder == _live) return true;
        if (b.Encoder == _live) return false;
        return a.Order < b.Order;
    }

    private sealed class EncoderEntry(string encoder, int order)
    {
        private readonly Dictionary<string, EncoderReport> _byRelay = new(StringComparer.Ordinal);

        public string Encoder { get; } = encoder;
        public int Order { get; } = order;
        public ulong Session { get; private set; }
        public EncoderAnnouncement? Announcement { get; private set; }
        public string? Title { get; private set; }
        public DateTimeOffset LastFrameAt { get; private set; }
        public string? RefusedReason { get; set; }
        public bool RefusalLogged { get; set; }
        public int Priority => Announcement?.Priority ?? 0;

        public void Apply(string relay, EncoderReport r)
        {
            if (r.Session < Session) return;
            if (r.Session > Session)
            {
                Session = r.Session;
                _byRelay.Clear();
                RefusalLogged = false;
                Announcement = null;
            }
            _byRelay[relay] = r;
            if (r.Announcement is not null) Announcement = r.Announcement;
            if (r.Title is not null) Title = r.Title;
            if (r.LastFrameAt > LastFrameAt) LastFrameAt = r.LastFrameAt;
        }

        public EncoderStatus Status() => new(
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
            RefusedReason);
    }
}
