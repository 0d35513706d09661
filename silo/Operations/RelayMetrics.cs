using System.Diagnostics.Metrics;
using Davecast.Silo.Ingest;
using Davecast.Wire;

namespace Davecast.Silo.Operations;

/// <summary>
/// The relay's instruments (meter <see cref="MeterName"/>), exported on <c>/metrics</c>. Every one observes a total
/// the ingest already keeps (<see cref="IngestCounters"/>, <see cref="RelayPump"/>), so nothing is counted twice and
/// nothing costs anything per frame: the values are read when Prometheus scrapes.
/// </summary>
public sealed class RelayMetrics
{
    public const string MeterName = "Davecast.Relay";

    private static readonly IngestTransport[] Transports = Enum.GetValues<IngestTransport>();
    private static readonly RejectReason[] Reasons = [.. Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None)];

    private static readonly TcpRefusal[] TcpRefusals = Enum.GetValues<TcpRefusal>();

    public RelayMetrics(IMeterFactory meters, IngestCounters counters, RelayPump pump, MountTable table, Feed.FeedServer feed, Davecast.Net.PortGate<TcpRefusal> connections)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("davecast.relay.packets_received", () => Transports.Select(t =>
            new Measurement<long>(counters.PacketsBy(t), new KeyValuePair<string, object?>("transport", t.ToString().ToLowerInvariant()))),
            "{packet}", "Publisher packets received, by transport");
        meter.CreateObservableCounter("davecast.relay.received", () => counters.Bytes, "By", "Bytes of publisher packets received");
        meter.CreateObservableCounter("davecast.relay.frames_in", () => counters.Frames, "{frame}", "Frames accepted (first copy of each)");
        meter.CreateObservableCounter("davecast.relay.duplicates", () => counters.Duplicates, "{frame}", "Frame copies dropped because another path brought them first");
        meter.CreateObservableCounter("davecast.relay.gaps", () => counters.Gaps, "{frame}", "Frames that no path brought to this relay (sequence jumps)");
        meter.CreateObservableCounter("davecast.relay.packets_rejected", () => Reasons.Select(r =>
            new Measurement<long>(counters.Rejected(r), new KeyValuePair<string, object?>("reason", SnakeCase(r.ToString())))),
            "{packet}", "Packets dropped, by reason");
        meter.CreateObservableCounter("davecast.relay.batches_published", () => pump.BatchesPublished, "{batch}", "Mount batches sent on the relay feed to the edges");
        meter.CreateObservableGauge("davecast.relay.feed_edges", () => feed.EdgeCount, "{edge}", "Edges following this relay's feed now");
        meter.CreateObservableCounter("davecast.relay.feed_slow_edges", () => feed.SlowEdgesDropped, "{edge}", "Edges disconnected for not keeping up with the feed");
        meter.CreateObservableCounter("davecast.relay.feed_backfills_unanswered", () => feed.BackfillsUnanswered, "{request}", "Backfill requests dropped because an edge's queue of replies was full");
        meter.CreateObservableGauge("davecast.relay.mounts", () => table.MountCount, "{mount}", "Mounts this relay takes frames for");
        meter.CreateObservableGauge("davecast.relay.ingest_connections", () => connections.Open, "{connection}", "Publisher TCP connections open on the ingest port");
        meter.CreateObservableCounter("davecast.relay.ingest_connections_refused", () => TcpRefusals.Select(r =>
            new Measurement<long>(connections.Refusals.Total(r), new KeyValuePair<string, object?>("reason", SnakeCase(r.ToString())))),
            "{connection}", "Ingest TCP connections closed by a cap, by reason (address_limit, total_limit, no_valid_packet)");
    }

    /// <summary>"BadTag" -> "bad_tag", as Prometheus label values usually are.</summary>
    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
