using System.Diagnostics;
using Davecast.Edge.Outputs;
using Davecast.Grains;

namespace Davecast.Edge.Splicing;

/// <summary>
/// One mount's splice: every relay's copies of its frames go in, the <see cref="Splicer"/> builds the one unbroken
/// programme, and each frame it emits goes out to the mount's outputs with the title that applies to it. Counts and
/// logs the repairs, and hands the splicer's backfill requests to <c>backfill</c>, which offers the answers back
/// (<see cref="OfferBackfill"/>) as they come. Nothing here waits on a remote call.
/// </summary>
public sealed partial class SpliceFeed
{
    private readonly string _mount;
    private readonly IMountOutput[] _outputs;
    private readonly Func<BackfillRequest, Action<FrameBatch>, Task> _backfill;
    private readonly Action<FrameBatch> _offerBackfill;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Splicer _splicer;
    private readonly Action<SpliceFrame, EncoderTrack, ulong> _emit;
    private readonly MountTitles _titles = new();
    private bool _codecKnown;
    private long _lastFailovers, _lastGaps, _lastSubstituted, _lastSwitches;
    private long _lastLive = long.MinValue;

    /// <param name="backfill">Asks the relays for a backfill request's frames and offers each answer as it comes.</param>
    public SpliceFeed(string mount, SplicerTiming timing, IReadOnlyList<IMountOutput> outputs, Func<BackfillRequest, Action<FrameBatch>, Task> backfill, ILogger logger)
    {
        _mount = mount;
        _outputs = [.. outputs];
        _backfill = backfill;
        _offerBackfill = OfferBackfill;
        _logger = logger;
        _splicer = new Splicer(timing);
        _emit = Emit;
    }

    /// <summary>When this edge emitted the mount's first frame.</summary>
    public DateTimeOffset? StreamStart { get; private set; }

    /// <summary>
    /// How long the mount has had no live encoder at this edge (none healthy by the election's rule, see
    /// <see cref="Splicer.AnyHealthy"/>): zero while one is, null before the first.
    /// </summary>
    public TimeSpan? SinceLive(long now)
    {
        long last = Interlocked.Read(ref _lastLive);
        return last == long.MinValue ? null : Stopwatch.GetElapsedTime(last, Math.Max(last, now));
    }

    /// <summary>Frames the relays' windows brought for backfill requests (copies the splicer may then drop included).</summary>
    public long BackfilledFrames { get; private set; }

    /// <summary>The mount's state as the sites see it: codec known, election, priorities, encoder timeout, operator title.</summary>
    public void Apply(MountInfo info)
    {
        lock (_gate)
        {
            _codecKnown |= info.Parameters is not null;
            _splicer.EncoderTimeout = (long)(info.HealthTimeout.TotalSeconds * Stopwatch.Frequency);
            foreach (var e in info.Encoders) _splicer.SetPriority(e.Encoder, e.Priority);
            if (info.LiveEncoder is not null) _splicer.Elect(info.LiveEncoder, info.LiveSession, info.SwitchAtMicros);
            if (info.AdminTitle is { } title) _titles.SetOperatorTitle(title, info.AdminTitleVersion);
        }
        Pump();
    }

    /// <summary>An operator's title set through this edge: it applies from the next frame emitted.</summary>
    public void SetOperatorTitle(string title, long version)
    {
        lock (_gate) _titles.SetOperatorTitle(title, version);
    }

    /// <summary>One relay's frames of one batch interval. Dropped until the mount's codec is known.</summary>
    public void Accept(MountBatch batch)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (!_codecKnown) return;
            foreach (var frames in batch.Encoders) Offer(frames, now);
        }
        Pump();
    }

    /// <summary>A relay's answer to a backfill request.</summary>
    public void OfferBackfill(FrameBatch frames)
    {
        lock (_gate)
        {
            Offer(frames, Stopwatch.GetTimestamp());
            BackfilledFrames += frames.Count;
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

    /// <summary>Moves every frame that is ready to the outputs. Called on each batch and by the catalog's timer.</summary>
    public void Pump()
    {
        int emitted;
        IReadOnlyList<BackfillRequest> backfills;
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            emitted = _splicer.Pump(now, _emit);
            if (_splicer.AnyHealthy(now)) Interlocked.Exchange(ref _lastLive, now);
            foreach (var output in _outputs) output.Flush(emitted, now);
            backfills = _splicer.TakeBackfillRequests();
            LogRepairs();
        }
        if (emitted > 0) StreamStart ??= DateTimeOffset.UtcNow;
        foreach (var b in backfills) _ = _backfill(b, _offerBackfill);
    }

    private void Emit(SpliceFrame frame, EncoderTrack track, ulong sequence)
    {
        var programme = new ProgrammeFrame(
            frame.Data, track.Name, track.Session, sequence, frame.TimestampMicros, frame.DurationMicros, _titles.For(track.Name, track.Session, sequence));
        foreach (var output in _outputs) output.Write(programme);
    }

    /// <summary>This edge's report on the mount (what it plays, its repairs), with the listener figures given.</summary>
    public EdgeReport Report(string edge, int listeners, long bytesOut)
    {
        lock (_gate)
        {
            return new EdgeReport(
                edge, DateTimeOffset.UtcNow, _splicer.Playing, listeners, _splicer.Emitted,
                _splicer.Tracks.Sum(t => t.Duplicates), _splicer.Late, _splicer.GapFrames, _splicer.Substituted,
                _splicer.Failovers, _splicer.Switches, _splicer.BackfillRequests, bytesOut);
        }
    }

    private void LogRepairs()
    {
        if (_splicer.Failovers != _lastFailovers) LogFailover(_mount, _splicer.Playing);
        if (_splicer.Switches != _lastSwitches) LogSwitch(_mount, _splicer.Playing);
        if (_splicer.GapFrames != _lastGaps) LogGap(_mount, _splicer.GapFrames - _lastGaps);
        if (_splicer.Substituted / 50 != _lastSubstituted / 50) LogSubstituted(_mount, _splicer.Substituted);
        (_lastFailovers, _lastSwitches, _lastGaps, _lastSubstituted) = (_splicer.Failovers, _splicer.Switches, _splicer.GapFrames, _splicer.Substituted);
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
