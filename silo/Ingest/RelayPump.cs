using Davecast.Grains;
using Davecast.Grains.Feed;
using Davecast.Silo.Feed;
using Davecast.Silo.Window;
using Microsoft.Extensions.Options;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Moves accepted frames on: every batch interval one feed message carries every mount's frames to the edges
/// (an empty one tells them the relay is alive); every report interval each mount's grain hears how its encoders
/// are doing, and the site's directory where this relay's feed is. Never one call per frame.
/// </summary>
public sealed partial class RelayPump(
    IOptions<RelayOptions> options,
    MountTable table,
    BatchCollector collector,
    RelayWindow window,
    FeedServer feed,
    IClusterClient cluster,
    TimeProvider time,
    ILogger<RelayPump> logger) : BackgroundService
{
    private readonly RelayOptions _options = options.Value;
    private long _published;
    private long _number;

    public long BatchesPublished => Interlocked.Read(ref _published);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reports = Task.Run(() => ReportLoopAsync(stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(_options.BatchInterval, time);
        var batches = new List<MountBatch>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                batches.Clear();
                collector.TakeAll(batches);
                if (feed.EdgeCount == 0) continue;
                feed.Broadcast(FeedCodec.Batches(++_number, batches));
                Interlocked.Add(ref _published, batches.Count);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await reports;
    }

    private async Task RegisterAsync()
    {
        try
        {
            var endpoint = new System.Net.IPEndPoint(_options.Advertise, await feed.BoundPort).ToString();
            await cluster.GetGrain<IMountDirectoryGrain>("all").RegisterRelayAsync(_options.Name, endpoint);
        }
        catch (Exception e)
        {
            LogRegisterFailed(e.Message);
        }
    }

    private async Task ReportLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ReportInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = time.GetUtcNow();
                var calls = new List<Task> { RegisterAsync() };
                foreach (var mount in table.Mounts)
                {
                    window.Trim(mount, now);
                    // A mount without encoders, silent as long as an encoder is kept, stops counting against the caps.
                    if (table.ForgetIfIdle(mount, now - _options.EncoderExpiry)) continue;
                    calls.Add(ReportAsync(mount, now));
                }
                await Task.WhenAll(calls);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task ReportAsync(MountState mount, DateTimeOffset now)
    {
        List<EncoderReport> encoders;
        lock (mount.Gate) encoders = mount.Encoders.Values.Select(e => e.Report()).ToList();
        if (encoders.Count == 0) return;
        try
        {
            var refused = await cluster.GetGrain<IMountGrain>(mount.Mount).ReportAsync(new RelayReport(_options.Name, now, encoders));
            lock (mount.Gate)
            {
                foreach (var e in mount.Encoders.Values)
                {
                    refused.TryGetValue(e.Encoder, out var reason);
                    if (reason != e.RefusedReason && reason is not null) LogRefused(mount.Mount, e.Encoder, reason);
                    e.RefusedReason = reason;
                }
            }
        }
        catch (Exception e)
        {
            LogReportFailed(mount.Mount, e.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Telling the site's directory where this relay's feed is failed: {Error}")]
    private partial void LogRegisterFailed(string error);

    [LoggerMessage(LogLevel.Warning, "Reporting mount {Mount} to its grain failed: {Error}")]
    private partial void LogReportFailed(string mount, string error);

    [LoggerMessage(LogLevel.Error, "Mount {Mount} refuses encoder {Encoder}: {Reason}")]
    private partial void LogRefused(string mount, string encoder, string reason);
}
