using System.Collections.Concurrent;
using Davecast.Edge.Feed;
using Davecast.Edge.Sites;
using Davecast.Edge.Splicing;
using Davecast.Grains;

namespace Davecast.Edge;

/// <summary>
/// What this edge follows: every site's cluster (each through its own <see cref="SiteClient"/>, control only) and
/// every relay's feed the sites name (each through its own <see cref="RelayFeedClient"/>, which reconnects by
/// itself; a relay that moves to another endpoint is followed there). Every second it hands on each mount's
/// combined view (<see cref="SiteViews"/>); frames go from the feeds straight to <c>onBatch</c>. Backfills ask every
/// connected relay at once. Nothing here waits on a site: each site's client refreshes on its own.
/// </summary>
public sealed partial class RelayFollower : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, RelayFeedClient> _relays = new(StringComparer.Ordinal);
    private readonly EdgeOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly SiteClient[] _sites;
    private readonly Action<MountBatch> _onBatch;

    /// <param name="onBatch">Takes every batch of every relay followed (on the feed's thread).</param>
    public RelayFollower(EdgeOptions options, ILoggerFactory loggers, Action<MountBatch> onBatch)
    {
        _options = options;
        _loggers = loggers;
        _logger = loggers.CreateLogger<RelayFollower>();
        _onBatch = onBatch;
        _sites = [.. options.Sites.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => new SiteClient(s, options, loggers))];
    }

    public IReadOnlyList<SiteClient> Sites => _sites;

    public IEnumerable<RelayFeedClient> Relays => _relays.Values;

    /// <summary>How long ago some site's cluster last answered; null if none ever did.</summary>
    public TimeSpan? SinceContact => _sites.Select(s => s.SinceContact).Where(s => s is not null).Min();

    /// <summary>
    /// Follows until <paramref name="ct"/> is cancelled: every <see cref="EdgeOptions.Refresh"/>, the relays the sites
    /// name, and each mount's combined view to <paramref name="onMount"/>. The sites are sent <paramref name="reports"/>.
    /// </summary>
    public async Task RunAsync(Action<string, MountInfo> onMount, Func<IEnumerable<(string Mount, EdgeReport Report)>> reports, CancellationToken ct)
    {
        foreach (var site in _sites)
        {
            site.Reports = reports;
            site.Start();
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                Refresh(onMount);
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

    private void Refresh(Action<string, MountInfo> onMount)
    {
        var views = _sites.Select(s => s.View).OfType<SiteView>().Where(v => v.Age < SiteViews.Fresh).ToList();
        foreach (var view in views)
            foreach (var relay in view.Relays) Follow(view.Site, relay);
        foreach (var mount in views.SelectMany(v => v.Mounts.Keys).Distinct(StringComparer.Ordinal))
        {
            if (SiteViews.Combine(mount, views) is { } info) onMount(mount, info);
        }
    }

    private void Follow(string site, RelayEndpoint relay)
    {
        if (_relays.TryGetValue(relay.Relay, out var known) && known.Endpoint == relay.Feed) return;
        var client = new RelayFeedClient(relay.Relay, relay.Feed, site, _options.Name, _onBatch, _loggers.CreateLogger<RelayFeedClient>());
        _relays[relay.Relay] = client;
        client.Start();
        if (known is not null) _ = known.DisposeAsync().AsTask();
    }

    /// <summary>
    /// Asks every connected relay's window at once for the frames of <paramref name="request"/>; each answer is given
    /// to <paramref name="offer"/> as it comes. A relay that does not answer within the backfill wait costs nothing
    /// but its answer.
    /// </summary>
    public async Task BackfillAsync(string mount, BackfillRequest request, Action<FrameBatch> offer)
    {
        var asks = _relays.Values.Where(r => r.Connected).Select(async relay =>
        {
            var slice = await relay.BackfillAsync(mount, request.Encoder, request.Session, request.From, request.Count, _options.BackfillWait);
            if (slice?.Frames is { Count: > 0 } frames) offer(frames);
        });
        await Task.WhenAll(asks);
    }

    /// <summary>Sends an operator's title to every site that can be reached; true if one took it.</summary>
    public async Task<bool> SetTitleAsync(string mount, string title, long version) =>
        (await Task.WhenAll(_sites.Select(s => s.SetTitleAsync(mount, title, version)))).Any(ok => ok);

    public async ValueTask DisposeAsync() =>
        await Task.WhenAll(_relays.Values.Select(r => r.DisposeAsync().AsTask()).Concat(_sites.Select(s => s.DisposeAsync().AsTask())));

    [LoggerMessage(LogLevel.Warning, "Refreshing mounts failed: {Error}")]
    private partial void LogRefreshFailed(string error);
}
