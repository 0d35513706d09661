using System.Diagnostics.Metrics;
using System.Globalization;
using Davecast.Publisher.Paths;
using Davecast.Publisher.Publishing;
using Davecast.Publisher.Sources;

namespace Davecast.Publisher.Metrics;

/// <summary>
/// The publisher's instruments (meter <see cref="MeterName"/>), exported on <c>/metrics</c> at --metrics-listen. They
/// observe the totals the session, its paths and the source port already keep: read when Prometheus scrapes, never
/// counted per frame.
/// </summary>
public sealed class PublisherMetrics
{
    public const string MeterName = "Davecast.Publisher";

    private static readonly SourcePortRefusal[] Refusals = Enum.GetValues<SourcePortRefusal>();

    /// <param name="sourcePort">The --listen-source port, or null for other sources (its instruments then have no samples).</param>
    public PublisherMetrics(IMeterFactory meters, PublishSession session, IcecastSourceListener? sourcePort)
    {
        var meter = meters.Create(MeterName);

        IEnumerable<Measurement<long>> PerPath(Func<PathStats, long> value) => session.Paths.Select(p => new Measurement<long>(value(p.Stats),
            new KeyValuePair<string, object?>("path_id", p.PathId.ToString(CultureInfo.InvariantCulture)), new KeyValuePair<string, object?>("path", p.Name)));

        meter.CreateObservableCounter("davecast.publisher.frames_sent", () => session.FramesSent, "{frame}", "Frames sent (each on every path)");
        meter.CreateObservableCounter("davecast.publisher.packets_sent", () => PerPath(s => s.Packets), "{packet}", "Packets sent, by path");
        meter.CreateObservableCounter("davecast.publisher.sent", () => PerPath(s => s.Bytes), "By", "Bytes of packets sent, by path");
        meter.CreateObservableCounter("davecast.publisher.packets_dropped", () => PerPath(s => s.Dropped), "{packet}", "Packets a path could not send or queue, by path");
        meter.CreateObservableCounter("davecast.publisher.reconnects", () => PerPath(s => s.Reconnects), "{reconnect}", "TCP paths' reconnects, by path");
        meter.CreateObservableCounter("davecast.publisher.relay_refusals", () => session.RelayRefusals, "{packet}", "Refused packets from relays (a cap or a mount's codec), verified with this publisher's key");
        meter.CreateObservableGauge("davecast.publisher.source_connections", () => sourcePort is null ? [] : new[]
        {
            new Measurement<long>(sourcePort.Pending, new KeyValuePair<string, object?>("state", "pending")),
            new Measurement<long>(sourcePort.Streaming, new KeyValuePair<string, object?>("state", "streaming")),
        }, "{connection}", "Connections open on --listen-source: pending (request being read or answered) or streaming (source clients)");
        meter.CreateObservableCounter("davecast.publisher.source_connections_refused", () => sourcePort is null ? [] : Refusals.Select(r =>
            new Measurement<long>(sourcePort.Refused(r), new KeyValuePair<string, object?>("reason", Label(r)))),
            "{connection}", "Connections to --listen-source closed by a cap: --source-max-pending, --source-header-timeout or --source-header-bytes");
    }

    /// <summary>The <c>reason</c> label of a source port refusal in /metrics: the cap's option, without --source-.</summary>
    public static string Label(SourcePortRefusal reason) => reason switch
    {
        SourcePortRefusal.TooManyPending => "max_pending",
        SourcePortRefusal.HeaderTimeout => "header_timeout",
        _ => "header_bytes",
    };
}
