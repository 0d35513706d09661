using System.Collections.Concurrent;
using System.Diagnostics;
using Davecast.Edge.Feed;
using Davecast.Edge.Sites;
using Davecast.Grains;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// The mounts of this edge: a <see cref="MountFeed"/> for every mount a site knows (from the
/// <see cref="RelayFollower"/>, which also brings their frames), pumped every 20 ms so that gaps are given up and
/// listeners woken on time, and their slow listeners dropped.
/// </summary>
public sealed partial class MountCatalog : BackgroundService
{
    private readonly ConcurrentDictionary<string, MountFeed> _feeds = new(StringComparer.Ordinal);
    private readonly EdgeOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly RelayFollower _follower;

    public MountCatalog(IOptions<EdgeOptions> options, ILoggerFactory loggers, ILogger<MountCatalog> logger)
    {
        _options = options.Value;
        _loggers = loggers;
        _logger = logger;
        _follower = new RelayFollower(_options, loggers, OnBatch);
    }

    public IEnumerable<MountFeed> Feeds => _feeds.Values;

    public IReadOnlyList<SiteClient> Sites => _follower.Sites;

    public IEnumerable<RelayFeedClient> Relays => _follower.Relays;

    public bool TryGet(string mount, out MountFeed feed) => _feeds.TryGetValue(mount, out feed!);

    /// <summary>How long ago some site's cluster last answered; null if none ever did.</summary>
    public TimeSpan? SinceContact => _follower.SinceContact;

    /// <summary>Sends an operator's title to every site that can be reached; true if one took it.</summary>
    public Task<bool> SetTitleAsync(string mount, string title, long version) => _follower.SetTitleAsync(mount, title, version);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var follow = Task.Run(() => _follower.RunAsync(OnMount, () => _feeds.Values.Select(f => (f.Mount, f.Report(_options.Name))), stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            long ticks = 0, last = Stopwatch.GetTimestamp();
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = Stopwatch.GetTimestamp();
                var late = Stopwatch.GetElapsedTime(last, now);
                last = now;
                if (late > PumpStall)
                {
                    Interlocked.Increment(ref _stalls);
                    LogPumpStalled((long)late.TotalMilliseconds);
                }
                bool checkQueues = ++ticks % 10 == 0;
                foreach (var feed in _feeds.Values)
                {
                    try
                    {
                        feed.Pump();
                        if (checkQueues)
                        {
                            feed.DropSlowListeners(_options.ListenerQueueBytes);
                            LogLife(feed);
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // One mount's fault must not stop the others' output; logged once per second at most.
                        if (ticks - _lastPumpError >= 50)
                        {
                            _lastPumpError = ticks;
                            LogPumpFailed(feed.Mount, e);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await follow;
    }

    private void LogLife(MountFeed feed)
    {
        var change = feed.CheckLife(out int closed);
        if (change == MountLifeChange.Ended) LogMountEnded(feed.Mount, _options.MountTimeout.TotalSeconds, closed);
        else if (change == MountLifeChange.Resumed) LogMountResumed(feed.Mount);
        else if (closed > 0) LogLateListenersClosed(feed.Mount, closed);
    }

    private long _lastPumpError = -1000;
    private long _stalls;

    /// <summary>The output pump ticks every 20 ms; a tick this late means the process was starved (CPU, threads, GC).</summary>
    public static readonly TimeSpan PumpStall = TimeSpan.FromMilliseconds(250);

    /// <summary>Ticks of the output pump that came later than <see cref="PumpStall"/>.</summary>
    public long PumpStalls => Interlocked.Read(ref _stalls);

    /// <summary>A mount's combined view, every refresh: a mount not known yet gets its feed.</summary>
    private void OnMount(string mount, MountInfo info)
    {
        if (!_feeds.TryGetValue(mount, out var feed))
        {
            feed = _feeds[mount] = new MountFeed(
                mount, _options, (request, offer) => _follower.BackfillAsync(mount, request, offer), _loggers.CreateLogger<Splicing.SpliceFeed>());
            LogNewMount(mount);
        }
        feed.Apply(info);
    }

    private void OnBatch(MountBatch batch)
    {
        if (_feeds.TryGetValue(batch.Mount, out var feed)) feed.Accept(batch);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _follower.DisposeAsync();
    }

    [LoggerMessage(LogLevel.Error, "Mount {Mount}: emitting frames failed")]
    private partial void LogPumpFailed(string mount, Exception error);

    [LoggerMessage(LogLevel.Warning, "Output pump stalled for {Milliseconds} ms (this process was starved of CPU or threads)")]
    private partial void LogPumpStalled(long milliseconds);

    [LoggerMessage(LogLevel.Warning, "Mount {Mount}: no live encoder for {Seconds} s (--mount-timeout): closed its {Listeners} listener(s); new listeners get 404 until an encoder is live again")]
    private partial void LogMountEnded(string mount, double seconds, int listeners);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: an encoder is live again; listeners are served")]
    private partial void LogMountResumed(string mount);

    [LoggerMessage(LogLevel.Information, "Mount {Mount}: ended; closed {Listeners} more listener(s)")]
    private partial void LogLateListenersClosed(string mount, int listeners);

    [LoggerMessage(LogLevel.Information, "New mount {Mount}")]
    private partial void LogNewMount(string mount);
}
