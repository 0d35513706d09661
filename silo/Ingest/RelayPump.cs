using Davecast.Grains;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Moves accepted frames on: every batch interval one stream event per mount carries them to the edges; every
/// report interval each mount's grain hears how its encoders are doing. Never one call per frame.
/// </summary>
public sealed partial class RelayPump(
    IOptions<RelayOptions> options,
    MountTable table,
    IClusterClient cluster,
    TimeProvider time,
    ILogger<RelayPump> logger) : BackgroundService
{
    private readonly RelayOptions _options = options.Value;
    private readonly Dictionary<string, IAsyncStream<MountBatch>> _streams = new(StringComparer.Ordinal);
    private long _published;
    private long _publishFailures;

    public long BatchesPublished => Interlocked.Read(ref _published);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reports = Task.Run(() => ReportLoopAsync(stoppingToken), stoppingToken);
        using var timer = new PeriodicTimer(_options.BatchInterval, time);
        var pending = new List<Task>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                pending.Clear();
                foreach (var mount in table.Mounts)
                {
                    var batch = table.TakeBatch(mount);
                    if (batch is not null) pending.Add(PublishAsync(batch));
                }
                await Task.WhenAll(pending);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await reports;
    }

    private async Task PublishAsync(MountBatch batch)
    {
        try
        {
            await StreamFor(batch.Mount).OnNextAsync(batch);
            Interlocked.Increment(ref _published);
        }
        catch (Exception e)
        {
            if (Interlocked.Increment(ref _publishFailures) % 100 == 1) LogPublishFailed(batch.Mount, _publishFailures, e.Message);
        }
    }

    private IAsyncStream<MountBatch> StreamFor(string mount)
    {
        lock (_streams)
        {
            if (!_streams.TryGetValue(mount, out var stream))
            {
                var id = StreamId.Create(StreamNames.Namespace, StreamNames.Key(_options.Name, mount));
                stream = cluster.GetStreamProvider(StreamNames.Provider).GetStream<MountBatch>(id);
                _streams[mount] = stream;
            }
            return stream;
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
                var calls = new List<Task>();
                foreach (var mount in table.Mounts)
                {
                    table.Trim(mount, now);
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

    [LoggerMessage(LogLevel.Warning, "Publishing batches of mount {Mount} failed ({Failures} failures so far): {Error}")]
    private partial void LogPublishFailed(string mount, long failures, string error);

    [LoggerMessage(LogLevel.Warning, "Reporting mount {Mount} to its grain failed: {Error}")]
    private partial void LogReportFailed(string mount, string error);

    [LoggerMessage(LogLevel.Error, "Mount {Mount} refuses encoder {Encoder}: {Reason}")]
    private partial void LogRefused(string mount, string encoder, string reason);
}
