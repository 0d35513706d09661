using System.Collections.Concurrent;
using Davecast.Edge.Feed;
using Davecast.Edge.Sites;
using Davecast.Grains;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// Keeps a <see cref="MountFeed"/> for every mount of every site: follows every relay's feed directly, combines the
/// sites' views of each mount (<see cref="SiteViews"/>), and pumps the feeds so that gaps are given up on time.
/// Nothing here waits on a site: each site's client refreshes on its own.
/// </summary>
public sealed partial class MountCatalog(
    IOptions<EdgeOptions> options,
    ILoggerFactory loggers,
    ILogger<MountCatalog> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, MountFeed> _feeds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RelayFeedClient> _relays = new(StringComparer.Ordinal);
    private readonly EdgeOptions _options = options.Value;
    private readonly SiteClient[] _sites = [.. options.Value.Sites.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new SiteClient(s, options.Value, loggers))];

    public IEnumerable<MountFeed> Feeds => _feeds.Values;

    public IReadOnlyList<SiteClient> Sites => _sites;

    public IEnumerable<RelayFeedClient> Relays => _relays.Values;

    public bool TryGet(string mount, out MountFeed feed) => _feeds.TryGetValue(mount, out feed!);

    /// <summary>How long ago some site's cluster last answered; null if none ever did.</summary>
    public TimeSpan? SinceContact => _sites.Select(s => s.SinceContact).Where(s => s is not null).Min();

    /// <summary>Sends an operator's title to every site that can be reached; true if one took it.</summary>
    public async Task<bool> SetTitleAsync(string mount, string title, long version) =>
        (await Task.WhenAll(_sites.Select(s => s.SetTitleAsync(mount, title, version)))).Any(ok => ok);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var site in _sites)
        {
            site.Reports = () => _feeds.Values.Select(f => (f.Mount, f.Report(_options.Name)));
            site.Start();
        }
        var refresh = Task.Run(() => RefreshLoopAsync(stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            long ticks = 0, last = System.Diagnostics.Stopwatch.GetTimestamp();
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long now = System.Diagnostics.Stopwatch.GetTimestamp();
                var late = System.Diagnostics.Stopwatch.GetElapsedTime(last, now);
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
                        if (checkQueues) feed.DropSlowListeners(_options.ListenerQueueBytes);
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
        await refresh;
    }

    private long _lastPumpError = -1000;
    private long _stalls;

    /// <summary>The output pump ticks every 20 ms; a tick this late means the process was starved (CPU, threads, GC).</summary>
    public static readonly TimeSpan PumpStall = TimeSpan.FromMilliseconds(250);

    /// <summary>Ticks of the output pump that came later than <see cref="PumpStall"/>.</summary>
    public long PumpStalls => Interlocked.Read(ref _stalls);

    /// <summary>Every second: new mounts and relays from the sites' views, and each mount's combined view.</summary>
    private async Task RefreshLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Refresh();
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogRefreshFailed(e.Message);
            }
            try
            {
                await Task.Delay(_options.Refresh, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Refresh()
    {
        var views = _sites.Select(s => s.View).OfType<SiteView>().Where(v => v.Age < SiteViews.Fresh).ToList();
        foreach (var view in views)
        {
            foreach (var relay in view.Relays) Follow(view.Site, relay);
            foreach (var mount in view.Mounts.Keys)
            {
                if (_feeds.ContainsKey(mount)) continue;
                _feeds[mount] = new MountFeed(mount, _options, FollowedRelays, loggers.CreateLogger<MountFeed>());
                LogNewMount(mount);
            }
        }
        foreach (var feed in _feeds.Values)
        {
            if (SiteViews.Combine(feed.Mount, views, _options.EncoderTimeout) is { } info) feed.Apply(info);
        }
    }

    private IEnumerable<RelayFeedClient> FollowedRelays() => _relays.Values.Where(r => r.Connected);

    private void Follow(string site, RelayEndpoint relay)
    {
        if (_relays.TryGetValue(relay.Relay, out var known) && known.Endpoint == relay.Feed) return;
        var client = new RelayFeedClient(relay.Relay, relay.Feed, site, _options.Name, OnBatch, loggers.CreateLogger<RelayFeedClient>());
        _relays[relay.Relay] = client;
        client.Start();
        if (known is not null) _ = known.DisposeAsync().AsTask();
    }

    private void OnBatch(MountBatch batch)
    {
        if (_feeds.TryGetValue(batch.Mount, out var feed)) feed.Accept(batch);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await Task.WhenAll(_relays.Values.Select(r => r.DisposeAsync().AsTask()).Concat(_sites.Select(s => s.DisposeAsync().AsTask())));
    }

    [LoggerMessage(LogLevel.Error, "Mount {Mount}: emitting frames failed")]
    private partial void LogPumpFailed(string mount, Exception error);

    [LoggerMessage(LogLevel.Warning, "Output pump stalled for {Milliseconds} ms (this process was starved of CPU or threads)")]
    private partial void LogPumpStalled(long milliseconds);

    [LoggerMessage(LogLevel.Information, "New mount {Mount}")]
    private partial void LogNewMount(string mount);

    [LoggerMessage(LogLevel.Warning, "Refreshing mounts failed: {Error}")]
    private partial void LogRefreshFailed(string error);
}
