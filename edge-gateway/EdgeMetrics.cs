using System.Diagnostics.Metrics;
using Davecast.Edge.Connections;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Grains;
using Microsoft.Extensions.Options;

namespace Davecast.Edge;

/// <summary>
/// The edge's instruments (meter <see cref="MeterName"/>), exported on <c>/metrics</c>, per mount where it applies.
/// They observe the totals the feeds and the listener endpoint already keep (the splicer's counts, as in
/// <see cref="MountFeed.Report"/>): read when Prometheus scrapes, never counted per frame.
/// </summary>
public sealed class EdgeMetrics
{
    public const string MeterName = "Davecast.Edge";

    public EdgeMetrics(IMeterFactory meters, MountCatalog catalog, ListenerEndpoint listeners, ConnectionGate connections, IOptions<EdgeOptions> options)
    {
        var meter = meters.Create(MeterName);
        string edge = options.Value.Name;

        IEnumerable<Measurement<long>> PerMount(Func<MountFeed, EdgeReport, long> value) =>
            catalog.Feeds.Select(f => new Measurement<long>(value(f, f.Report(edge)), new KeyValuePair<string, object?>("mount", f.Mount)));

        meter.CreateObservableCounter("davecast.edge.frames_out", () => PerMount((_, r) => r.FramesEmitted), "{frame}", "Frames emitted into the mount's stream");
        meter.CreateObservableCounter("davecast.edge.duplicates", () => PerMount((_, r) => r.Duplicates), "{frame}", "Frame copies dropped (another relay brought them first)");
        meter.CreateObservableCounter("davecast.edge.late_frames", () => PerMount((_, r) => r.Late), "{frame}", "Frames that came after their place in the stream was given up");
        meter.CreateObservableCounter("davecast.edge.gap_frames", () => PerMount((_, r) => r.GapFrames), "{frame}", "Frames that no relay and no backup encoder had (skipped)");
        meter.CreateObservableCounter("davecast.edge.backfills", () => PerMount((_, r) => r.Backfills), "{request}", "Backfill requests to the relays' windows");
        meter.CreateObservableCounter("davecast.edge.substituted_frames", () => PerMount((_, r) => r.Substituted), "{frame}", "Frames taken from a backup encoder");
        meter.CreateObservableCounter("davecast.edge.failovers", () => PerMount((_, r) => r.Failovers), "{failover}", "Times the live encoder stopped and a backup took over");
        meter.CreateObservableCounter("davecast.edge.switches", () => PerMount((_, r) => r.Switches), "{switch}", "Planned switches to the elected encoder");
        meter.CreateObservableGauge("davecast.edge.listeners", () => PerMount((f, _) => f.Listeners), "{listener}", "Listeners connected now");
        meter.CreateObservableGauge("davecast.edge.hls_listeners", () => PerMount((f, _) => f.HlsListeners), "{listener}", "HLS clients that asked for a playlist or segment within three target durations");
        meter.CreateObservableCounter("davecast.edge.listener", () => PerMount((f, _) => f.ListenerBytes), "By", "Audio bytes written to listeners");
        meter.CreateObservableGauge("davecast.edge.relay_feeds", () => catalog.Relays.Select(r => new Measurement<long>(r.Connected ? 1 : 0,
            new KeyValuePair<string, object?>("relay", r.Relay), new KeyValuePair<string, object?>("site", r.Site))), "{feed}", "1 while this relay's feed is live (frames reach this edge from it)");
        meter.CreateObservableGauge("davecast.edge.sites_reachable", () => catalog.Sites.Select(s => new Measurement<long>(s.SinceContact is { } c && c < Sites.SiteViews.Fresh ? 1 : 0,
            new KeyValuePair<string, object?>("site", s.Name))), "{site}", "1 while the site's cluster answers (control only: audio does not need it)");
        meter.CreateObservableCounter("davecast.edge.pump_stalls", () => catalog.PumpStalls, "{stall}", "Output pump ticks later than 250 ms (the process was starved)");
        meter.CreateObservableCounter("davecast.edge.listeners_dropped", () => listeners.DroppedSlow, "{listener}", "Listeners dropped for falling too far behind");
        meter.CreateObservableCounter("davecast.edge.listeners_refused", () => new[]
        {
            new Measurement<long>(listeners.RefusedEdgeFull, new KeyValuePair<string, object?>("reason", "edge_full")),
            new Measurement<long>(listeners.RefusedMountFull, new KeyValuePair<string, object?>("reason", "mount_full")),
        }, "{listener}", "Listeners refused because the edge or the mount was full");
        meter.CreateObservableGauge("davecast.edge.connections", () => connections.Open, "{connection}", "Connections open now, idle ones and requests being read included");
        meter.CreateObservableCounter("davecast.edge.connections_closed", () => Enum.GetValues<EdgeConnectionRefusal>().Select(r =>
            new Measurement<long>(connections.Refusals.Total(r), new KeyValuePair<string, object?>("reason", ConnectionGate.Label(r)))),
            "{connection}", "Connections closed before they were served: over --max-connections or --max-connections-per-address, or no whole head within --header-timeout");
    }
}
