using System.Diagnostics;
using Davecast.Cli;
using Davecast.Grains;
using Orleans.Configuration;

namespace Davecast.Edge.Sites;

/// <summary>What one site's cluster last said: its mounts (with their elections) and its relays' feeds.</summary>
public sealed record SiteView(string Site, long At, IReadOnlyDictionary<string, MountInfo> Mounts, IReadOnlyList<RelayEndpoint> Relays)
{
    public TimeSpan Age => Stopwatch.GetElapsedTime(At);
}

/// <summary>
/// This edge as an Orleans client of one site's cluster: control only (mount list, elections, relay directory,
/// health reports, operator titles). It runs its own loop, so a site that cannot be reached delays nothing but its
/// own view; frames never pass through it. A client that cannot reach its site for long is built anew.
/// </summary>
public sealed partial class SiteClient(SiteSpec spec, EdgeOptions options, ILoggerFactory loggers) : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RebuildAfter = TimeSpan.FromSeconds(30);

    private readonly ILogger _logger = loggers.CreateLogger<SiteClient>();
    private readonly CancellationTokenSource _stop = new();
    private IHost? _host;
    private IClusterClient? _client;
    private Task? _run;
    private long _lastContact = long.MinValue;
    private long _rounds;

    public string Name => spec.Name;

    public SiteSpec Spec => spec;

    /// <summary>The last complete view, however old (see <see cref="SiteView.Age"/>); null before the first.</summary>
    public SiteView? View { get; private set; }

    /// <summary>How long ago this site's cluster last answered; null if never.</summary>
    public TimeSpan? SinceContact
    {
        get
        {
            long at = Interlocked.Read(ref _lastContact);
            return at == long.MinValue ? null : Stopwatch.GetElapsedTime(at);
        }
    }

    /// <summary>Reports from the catalog, sent every few rounds to this site's mount grains.</summary>
    public Func<IEnumerable<(string Mount, EdgeReport Report)>>? Reports { get; set; }

    public void Start() => _run ??= Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken ct)
    {
        bool failing = false;
        long failingSince = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var client = _client ?? await ConnectAsync(ct);
                await RefreshAsync(client, ct);
                Interlocked.Exchange(ref _lastContact, Stopwatch.GetTimestamp());
                if (failing) LogReachable(Name);
                failing = false;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogUnreachable(Name, e.Message);
                    failingSince = Stopwatch.GetTimestamp();
                }
                failing = true;
                if (_client is not null && Stopwatch.GetElapsedTime(failingSince) > RebuildAfter)
                {
                    await DropClientAsync();
                    failingSince = Stopwatch.GetTimestamp();
                }
            }
            try
            {
                await Task.Delay(options.Refresh, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<IClusterClient> ConnectAsync(CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        EdgeLogging.Configure(builder.Logging);
        // A failed start is this loop's to report, once, not the host's with a stack trace at every attempt; and
        // this inner host's start and stop are not the edge's ("Application started", "shutting down").
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.None);
        builder.UseOrleansClient(client =>
        {
            if (spec.Redis is { } redis) client.UseRedisClustering(redis);
            else client.UseStaticClustering([.. spec.Gateways.Select(HostPort.Resolve)]);
            client.Configure<ClusterOptions>(o => { o.ClusterId = spec.ClusterId; o.ServiceId = "davecast"; });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await StopHostAsync(host);
            throw new TimeoutException($"no gateway of the site answered within {StartTimeout.TotalSeconds:F0} s");
        }
        catch
        {
            await StopHostAsync(host);
            throw;
        }
        _host = host;
        _client = host.Services.GetRequiredService<IClusterClient>();
        LogConnected(Name);
        return _client;
    }

    private async Task RefreshAsync(IClusterClient client, CancellationToken ct)
    {
        var directory = client.GetGrain<IMountDirectoryGrain>("all");
        var mounts = await directory.ListAsync();
        var relays = await directory.ListRelaysAsync();
        var infos = await Task.WhenAll(mounts.Select(m => client.GetGrain<IMountGrain>(m).GetInfoAsync()));
        View = new SiteView(Name, Stopwatch.GetTimestamp(), infos.ToDictionary(i => i.Mount, StringComparer.Ordinal), relays);
        if (++_rounds % 5 == 0 && Reports?.Invoke() is { } reports)
            await Task.WhenAll(reports.Select(r => client.GetGrain<IMountGrain>(r.Mount).ReportEdgeAsync(r.Report)));
    }

    /// <summary>An operator's title, for this site's mount grain; false when the site cannot be reached now.</summary>
    public async Task<bool> SetTitleAsync(string mount, string title, long version)
    {
        if (_client is not { } client) return false;
        try
        {
            await client.GetGrain<IMountGrain>(mount).SetTitleAsync(title, version).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e)
        {
            LogTitleFailed(Name, mount, e.Message);
            return false;
        }
    }

    private async Task DropClientAsync()
    {
        var host = _host;
        _host = null;
        _client = null;
        LogRebuilding(Name);
        if (host is not null) await StopHostAsync(host);
    }

    private static async Task StopHostAsync(IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stop.Token);
        }
        catch (Exception)
        {
            // the site may be gone: nothing to say goodbye to
        }
        host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_run is not null)
        {
            try { await _run.WaitAsync(TimeSpan.FromSeconds(10)); } catch (Exception) { /* stopping */ }
        }
        if (_host is not null) await StopHostAsync(_host);
    }

    [LoggerMessage(LogLevel.Information, "Site {Site}: connected to its cluster")]
    private partial void LogConnected(string site);

    [LoggerMessage(LogLevel.Warning, "Site {Site}: cannot reach its cluster: {Error}; audio from its relays goes on")]
    private partial void LogUnreachable(string site, string error);

    [LoggerMessage(LogLevel.Information, "Site {Site}: cluster reachable again")]
    private partial void LogReachable(string site);

    [LoggerMessage(LogLevel.Warning, "Site {Site}: unreachable for long; building its client anew")]
    private partial void LogRebuilding(string site);

    [LoggerMessage(LogLevel.Warning, "Site {Site}: setting the title of mount {Mount} failed: {Error}")]
    private partial void LogTitleFailed(string site, string mount, string error);
}
