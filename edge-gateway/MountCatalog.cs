using System.Collections.Concurrent;
using System.Diagnostics;
using Davecast.Grains;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// Keeps a <see cref="MountFeed"/> for every mount in the cluster, refreshing the mount list and each mount's
/// relays and live encoder periodically, and pumping feeds so that gaps are given up on time.
/// </summary>
public sealed partial class MountCatalog(
    IClusterClient cluster,
    IOptions<EdgeOptions> options,
    ILoggerFactory loggers,
    ILogger<MountCatalog> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, MountFeed> _feeds = new(StringComparer.Ordinal);
    private readonly EdgeOptions _options = options.Value;

    public IEnumerable<MountFeed> Feeds => _feeds.Values;

    public bool TryGet(string mount, out MountFeed feed) => _feeds.TryGetValue(mount, out feed!);

    private long _lastContact = long.MinValue;

    /// <summary>How long ago the refresh loop last reached the cluster (read the mount list); null if it never did.</summary>
    public TimeSpan? SinceContact
    {
        get
        {
            long at = Interlocked.Read(ref _lastContact);
            return at == long.MinValue ? null : Stopwatch.GetElapsedTime(at);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var refresh = Task.Run(() => RefreshLoopAsync(stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            long ticks = 0;
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
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

    private async Task RefreshLoopAsync(CancellationToken ct)
    {
        bool failing = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var mounts = await cluster.GetGrain<IMountDirectoryGrain>("all").ListAsync();
                Interlocked.Exchange(ref _lastContact, Stopwatch.GetTimestamp());
                foreach (var m in mounts)
                {
                    if (_feeds.ContainsKey(m)) continue;
                    _feeds[m] = new MountFeed(m, cluster, _options, loggers.CreateLogger<MountFeed>());
                    LogNewMount(m);
                }
                await Task.WhenAll(_feeds.Values.Select(RefreshFeedAsync));
                if (++_rounds % 5 == 0) await Task.WhenAll(_feeds.Values.Select(ReportAsync));
                if (failing) LogRecovered();
                failing = false;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (!failing) LogRefreshFailed(e.Message);
                failing = true;
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

    private long _rounds;
    private long _lastPumpError = -1000;

    private async Task ReportAsync(MountFeed feed)
    {
        try
        {
            await cluster.GetGrain<IMountGrain>(feed.Mount).ReportEdgeAsync(feed.Report(_options.Name));
        }
        catch (Exception e)
        {
            LogFeedRefreshFailed(feed.Mount, e.Message);
        }
    }

    private async Task RefreshFeedAsync(MountFeed feed)
    {
        try
        {
            await feed.RefreshAsync();
        }
        catch (Exception e)
        {
            LogFeedRefreshFailed(feed.Mount, e.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var feed in _feeds.Values) await feed.DisposeAsync();
    }

    [LoggerMessage(LogLevel.Error, "Mount {Mount}: emitting frames failed")]
    private partial void LogPumpFailed(string mount, Exception error);

    [LoggerMessage(LogLevel.Information, "New mount {Mount}")]
    private partial void LogNewMount(string mount);

    [LoggerMessage(LogLevel.Warning, "Cannot reach the cluster to refresh mounts: {Error}")]
    private partial void LogRefreshFailed(string error);

    [LoggerMessage(LogLevel.Information, "Cluster reachable again")]
    private partial void LogRecovered();

    [LoggerMessage(LogLevel.Warning, "Refreshing mount {Mount} failed: {Error}")]
    private partial void LogFeedRefreshFailed(string mount, string error);
}
