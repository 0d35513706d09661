using System.Diagnostics;
using Davecast.Edge.Feed;
using Davecast.Frames;
using Davecast.Grains;
using Davecast.Merge;

namespace Davecast.Edge;

/// <summary>
/// One mount at this edge: takes every relay's copy of the mount (from the relay feeds), hands the frames to a
/// <see cref="Splicer"/> that builds the one unbroken sequence, serves its backfill requests from the relays'
/// windows, and appends what it emits to the <see cref="OutputRing"/> that listeners read. Nothing here waits on a
/// remote call: backfills run on their own and offer what they bring when it comes.
/// </summary>
public sealed partial class MountFeed
{
    private readonly Func<IEnumerable<RelayFeedClient>> _relays;
    private readonly EdgeOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Splicer _splicer;
    private readonly Action<SpliceFrame, EncoderTrack, ulong> _emit;
    private readonly MountTitles _titles = new();
    private readonly Lock _listenersGate = new();
    private readonly HashSet<ListenerSession> _listeners = [];
    private IFrameFormat? _format;
    private long _adminTitleVersion;
    private long _lastFailovers, _lastGaps, _lastSubstituted, _lastSwitches;

    public MountFeed(string mount, EdgeOptions options, Func<IEnumerable<RelayFeedClient>> relays, ILogger logger)
    {
        Mount = mount;
        _relays = relays;
        _options = options;
        _logger = logger;
        Output = new OutputRing(options.RingFrames);
        long f = Stopwatch.Frequency;
        _splicer = new Splicer(new SplicerTiming(
            Hold: (long)(options.Hold.TotalSeconds * f),
            BackfillWait: (long)(options.BackfillWait.TotalSeconds * f),
            EncoderTimeout: (long)(options.EncoderTimeout.TotalSeconds * f),
            BackupWait: 2 * f));
        _emit = (frame, track, seq) => Output.Append(frame.Data, seq, frame.TimestampMicros, _titles.For(track.Name, track.Session, seq));
    }

    public string Mount { get; }

    public OutputRing Output { get; }

    public MountInfo? Info { get; private set; }

    public CodecParameters? Parameters => Info?.Parameters;

    /// <summary>Listeners connected to this mount at this edge now.</summary>
    public int Listeners
    {
        get
        {
            lock (_listenersGate) return _listeners.Count;
        }
    }

    /// <summary>The most listeners this mount has had at once at this edge.</summary>
    public int ListenerPeak { get; private set; }

    /// <summary>When this edge emitted the mount's first frame.</summary>
    public DateTimeOffset? StreamStart { get; private set; }

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

    /// <summary>Adds a listener unless the mount already has <paramref name="limit"/> (0: no limit).</summary>
    public bool TryAddListener(ListenerSession listener, int limit)
    {
        lock (_listenersGate)
        {
            if (limit > 0 && _listeners.Count >= limit) return false;
            _listeners.Add(listener);
            ListenerPeak = Math.Max(ListenerPeak, _listeners.Count);
            return true;
        }
    }

    public void RemoveListener(ListenerSession listener)
    {
        lock (_listenersGate) _listeners.Remove(listener);
    }

    /// <summary>Drops every listener whose queue (bytes emitted that it has not taken) passed <paramref name="limit"/>.</summary>
    public void DropSlowListeners(long limit)
    {
        long produced = Output.BytesOut;
        List<ListenerSession>? slow = null;
        lock (_listenersGate)
        {
            foreach (var l in _listeners)
                if (produced - l.TakenOffset > limit) (slow ??= []).Add(l);
        }
        if (slow is null) return;
        foreach (var l in slow) l.Drop(produced - l.TakenOffset);
    }

    /// <summary>
    /// An operator's title (<c>/admin/metadata</c>): applies from the next frame this edge emits, until the source
    /// sets another. <paramref name="version"/> orders titles set through different edges; an older one is ignored.
    /// </summary>
    public void SetAdminTitle(string title, long version)
    {
        lock (_gate)
        {
            if (version <= _adminTitleVersion) return;
            _adminTitleVersion = version;
            _titles.Override(title);
        }
    }

    public long BackfilledFrames { get; private set; }

    private long _listenerBytes;

    /// <summary>Audio bytes written to this mount's listeners at this edge (bursts included).</summary>
    public long ListenerBytes => Interlocked.Read(ref _listenerBytes);

    public void CountListenerBytes(long bytes) => Interlocked.Add(ref _listenerBytes, bytes);

    /// <summary>The mount's state as the sites see it (combined): its codec, election, priorities and titles.</summary>
    public void Apply(MountInfo info)
    {
        lock (_gate)
        {
            Info = info;
            if (info.Parameters is { } p) _format ??= FrameFormats.For(p.Codec);
            foreach (var e in info.Encoders) _splicer.SetPriority(e.Encoder, e.Priority);
            if (info.LiveEncoder is not null) _splicer.Elect(info.LiveEncoder, info.LiveSession, info.SwitchAtMicros);
        }
        if (info.AdminTitle is { } adminTitle) SetAdminTitle(adminTitle, info.AdminTitleVersion);
        Pump();
    }

    /// <summary>An edge's report on this mount, for the mount's health.</summary>
    public EdgeReport Report(string edge)
    {
        lock (_gate)
        {
            return new EdgeReport(
                edge, DateTimeOffset.UtcNow, _splicer.Playing, Listeners, _splicer.Emitted,
                _splicer.Tracks.Sum(t => t.Duplicates), _splicer.Late, _splicer.GapFrames, _splicer.Substituted,
                _splicer.Failovers, _splicer.Switches, _splicer.BackfillRequests, Output.BytesOut);
        }
    }

    /// <summary>One relay's frames of one batch interval. Dropped until the mount's codec is known.</summary>
    public void Accept(MountBatch batch)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_format is null) return;
            foreach (var frames in batch.Encoders) Offer(frames, now);
        }
        Pump();
    }

    private void Offer(FrameBatch frames, long now)
    {
        if (frames.Title is { } title) _titles.Learn(frames.Encoder, frames.Session, frames.TitleFrom, title);
        for (int i = 0; i < frames.Count; i++)
        {
            // The relay parsed and hashed the frame once; copies the splicer will drop cost nothing more here.
            var frame = new SpliceFrame(frames.Frame(i), frames.Timestamps[i], frames.Durations[i], frames.Hashes[i]);
            _splicer.Offer(frames.Encoder, frames.Session, frames.Sequences[i], frame, now);
        }
    }

    /// <summary>Moves every frame that is ready to the output. Called on each batch and by the catalog's timer.</summary>
    public void Pump()
    {
        int emitted;
        bool publish;
        IReadOnlyList<BackfillRequest> backfills;
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            emitted = _splicer.Pump(now, _emit);
            backfills = _splicer.TakeBackfillRequests();
            LogRepairs();
            publish = DuePublish(emitted, now);
        }
        if (emitted > 0) StreamStart ??= DateTimeOffset.UtcNow;
        if (publish) Output.Publish();
        foreach (var b in backfills) _ = BackfillAsync(b);
    }

    private long _lastPublish;
    private bool _unpublished;

    /// <summary>
    /// Under the feed's lock. Whether the listeners are woken now: frames were emitted since they last were, and the write interval has
    /// passed. Each listener then takes everything emitted meanwhile in one write, as Icecast writes a few
    /// kilobytes at a time: a wake-up and a send per listener for every 20 ms pump would cost the edge several
    /// times Icecast's CPU per listener (BENCHMARKS.md, fan-out).
    /// </summary>
    private bool DuePublish(int emitted, long now)
    {
        if (emitted > 0) _unpublished = true;
        if (!_unpublished || Stopwatch.GetElapsedTime(_lastPublish, now) < _options.WriteInterval) return false;
        _unpublished = false;
        _lastPublish = now;
        return true;
    }

    private void LogRepairs()
    {
        if (_splicer.Failovers != _lastFailovers) LogFailover(Mount, _splicer.Playing);
        if (_splicer.Switches != _lastSwitches) LogSwitch(Mount, _splicer.Playing);
        if (_splicer.GapFrames != _lastGaps) LogGap(Mount, _splicer.GapFrames - _lastGaps);
        if (_splicer.Substituted / 50 != _lastSubstituted / 50) LogSubstituted(Mount, _splicer.Substituted);
        (_lastFailovers, _lastSwitches, _lastGaps, _lastSubstituted) = (_splicer.Failovers, _splicer.Switches, _splicer.GapFrames, _splicer.Substituted);
    }

    /// <summary>
    /// Asks every followed relay's window at once for frames the batches did not bring; each answer is offered as it
    /// comes. A relay that does not answer within the backfill wait costs nothing but its answer.
    /// </summary>
    private async Task BackfillAsync(BackfillRequest request)
    {
        var asks = _relays().Select(async relay =>
        {
            var slice = await relay.BackfillAsync(Mount, request.Encoder, request.Session, request.From, request.Count, _options.BackfillWait);
            if (slice?.Frames is not { Count: > 0 } frames) return;
            lock (_gate)
            {
                Offer(frames, Stopwatch.GetTimestamp());
                BackfilledFrames += frames.Count;
            }
            Pump();
        });
        await Task.WhenAll(asks);
    }

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: {Frames} frame(s) reached no relay and no backup had them")]
    private partial void LogGap(string mount, long frames);

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: live encoder stopped; continuing with {Encoder}")]
    private partial void LogFailover(string mount, string? encoder);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: switched to elected encoder {Encoder}")]
    private partial void LogSwitch(string mount, string? encoder);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: {Frames} frame(s) so far taken from a backup encoder")]
    private partial void LogSubstituted(string mount, long frames);
}
