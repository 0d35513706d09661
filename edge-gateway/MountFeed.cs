using System.Diagnostics;
using Davecast.Frames;
using Davecast.Grains;
using Davecast.Merge;
using Orleans.Streams;

namespace Davecast.Edge;

/// <summary>
/// One mount at this edge: subscribes to every relay's copy of the mount, keeps one copy of each frame of the
/// live encoder in sequence order, and appends it to the <see cref="OutputRing"/> that listeners read.
/// </summary>
public sealed partial class MountFeed : IAsyncObserver<MountBatch>, IAsyncDisposable
{
    private readonly IClusterClient _cluster;
    private readonly EdgeOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StreamSubscriptionHandle<MountBatch>> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Timeline> _timelines = new(StringComparer.Ordinal);
    private readonly long _hold;

    /// <summary>Frames kept of encoders that are not live (about 20 s), to switch to them.</summary>
    private const int MaxStandbyFrames = 1024;
    private Timeline? _playing;

    public MountFeed(string mount, IClusterClient cluster, EdgeOptions options, ILogger logger)
    {
        Mount = mount;
        _cluster = cluster;
        _options = options;
        _logger = logger;
        _hold = (long)(options.Hold.TotalSeconds * Stopwatch.Frequency);
        Output = new OutputRing(options.RingFrames);
    }

    public string Mount { get; }

    public OutputRing Output { get; }

    public MountInfo? Info { get; private set; }

    public CodecParameters? Parameters => Info?.Parameters;

    public long FramesEmitted => Output.Head;

    public long Duplicates { get; private set; }

    public long Late { get; private set; }

    public long GapFrames { get; private set; }

    public long BatchesReceived { get; private set; }

    /// <summary>Fetches the mount's state and follows relays that joined.</summary>
    public async Task RefreshAsync()
    {
        var info = await _cluster.GetGrain<IMountGrain>(Mount).GetInfoAsync();
        lock (_gate)
        {
            // A mount grain that was just re-activated has not elected yet: keep playing what plays.
            if (info.LiveEncoder is null && Info?.LiveEncoder is { } playing) info = info with { LiveEncoder = playing };
            Info = info;
        }
        foreach (var relay in info.Relays)
        {
            bool known;
            lock (_gate) known = _subscriptions.ContainsKey(relay);
            if (known) continue;
            var id = StreamId.Create(StreamNames.Namespace, StreamNames.Key(relay, Mount));
            var handle = await _cluster.GetStreamProvider(StreamNames.Provider).GetStream<MountBatch>(id).SubscribeAsync(this);
            lock (_gate) _subscriptions[relay] = handle;
            LogSubscribed(Mount, relay);
        }
        Pump();
    }

    public Task OnNextAsync(MountBatch batch, StreamSequenceToken? token = null)
    {
        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            BatchesReceived++;
            foreach (var frames in batch.Encoders)
            {
                var timeline = TimelineFor(frames.Encoder, frames.Session);
                if (timeline is null) continue;
                for (int i = 0; i < frames.Count; i++)
                {
                    var frame = new BufferedFrame(frames.Frame(i), frames.Timestamps[i]);
                    timeline.Frames.Offer(frames.Sequences[i], frame, now);
                }
            }
        }
        Pump();
        return Task.CompletedTask;
    }

    /// <summary>Moves every frame that is ready to the output. Called on each batch and by the catalog's timer.</summary>
    public void Pump()
    {
        bool any = false;
        lock (_gate)
        {
            long now = Stopwatch.GetTimestamp();
            var live = Info?.LiveEncoder;
            if (live is null) return;
            if (!_timelines.TryGetValue(live, out var timeline)) return;
            if (_playing != timeline) Switch(timeline);
            var r = timeline.Frames;
            if (!r.Started)
            {
                // Let the copies from every relay arrive before choosing where to start.
                if (!r.TryPeekFirst(out ulong first, out long at) || now - at < _hold) return;
                r.StartAt(first);
            }
            long gapsBefore = r.GapFrames;
            while (r.TryTake(now, _hold, out ulong seq, out var frame))
            {
                Output.Append(frame.Data, seq, frame.Timestamp);
                timeline.LastTimestamp = frame.Timestamp;
                any = true;
            }
            if (r.GapFrames != gapsBefore)
            {
                GapFrames += r.GapFrames - gapsBefore;
                LogGap(Mount, timeline.Encoder, r.GapFrames - gapsBefore);
            }
            foreach (var t in _timelines.Values)
                if (t != timeline) t.Frames.Trim(MaxStandbyFrames);
            Duplicates = _timelines.Values.Sum(t => t.Frames.Duplicates);
            Late = _timelines.Values.Sum(t => t.Frames.Late);
        }
        if (any) Output.Publish();
    }

    private void Switch(Timeline next)
    {
        var previous = _playing;
        _playing = next;
        if (previous is null) return;
        // Continue with the first frame of the new encoder that starts where the last one played ended.
        long after = previous.LastTimestamp + 1;
        next.Frames.StartAtFirst(f => f.Timestamp >= after);
        LogSwitch(Mount, previous.Encoder, next.Encoder);
    }

    private Timeline? TimelineFor(string encoder, ulong session)
    {
        if (_timelines.TryGetValue(encoder, out var t))
        {
            if (t.Session == session) return t;
            if (session < t.Session) return null;
        }
        t = new Timeline(encoder, session);
        _timelines[encoder] = t;
        if (_playing?.Encoder == encoder) _playing = null;
        return t;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        LogStreamError(Mount, ex.Message);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        List<StreamSubscriptionHandle<MountBatch>> handles;
        lock (_gate) handles = [.. _subscriptions.Values];
        foreach (var h in handles)
        {
            try { await h.UnsubscribeAsync(); } catch (Exception) { /* the cluster may be gone already */ }
        }
    }

    private sealed class Timeline(string encoder, ulong session)
    {
        public string Encoder { get; } = encoder;
        public ulong Session { get; } = session;
        public Reorderer<BufferedFrame> Frames { get; } = new();
        public long LastTimestamp { get; set; }
    }

    private readonly record struct BufferedFrame(ReadOnlyMemory<byte> Data, long Timestamp);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: following relay {Relay}")]
    private partial void LogSubscribed(string mount, string relay);

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: {Frames} frame(s) of encoder {Encoder} reached no relay in time")]
    private partial void LogGap(string mount, string encoder, long frames);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: switched from encoder {From} to {To}")]
    private partial void LogSwitch(string mount, string from, string to);

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: stream error {Error}")]
    private partial void LogStreamError(string mount, string error);
}
