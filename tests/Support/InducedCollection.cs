using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace Davecast.Tests.Support;

/// <summary>
/// Makes another .NET process run a full blocking garbage collection now, from outside, as dotnet-gcdump does: an
/// EventPipe session on the runtime's diagnostics port that enables the runtime provider's GCHeapCollect keyword. The
/// runtime may run that collection after it has answered the session (CI, 1 December: a publisher's count had not moved
/// when the stop returned), so <see cref="RunAsync(int, string, CancellationToken)"/> waits until the process's own
/// /metrics counts one more full collection (davecast_gc_full_collections_total).
/// </summary>
public static class InducedCollection
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    /// <summary>The keyword that asks the runtime for a full collection (GCHeapCollect).</summary>
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>
    /// Collects in process <paramref name="pid"/> and returns once its /metrics at <paramref name="metricsUrl"/> counts the
    /// collection; throws if it has no diagnostics port (not .NET, or gone), or on <paramref name="cancel"/>.
    /// </summary>
    public static async Task RunAsync(int pid, string metricsUrl, CancellationToken cancel)
    {
        double before = await FullCollectionsAsync(metricsUrl, cancel);
        await RequestAsync(pid, cancel);
        while (await FullCollectionsAsync(metricsUrl, cancel) <= before)
            // Polls the process's own count: the condition itself, not a guess at how long the collection takes.
            await Task.Delay(TimeSpan.FromMilliseconds(50), cancel);
    }

    private static async Task<double> FullCollectionsAsync(string metricsUrl, CancellationToken cancel) =>
        (await PrometheusText.ScrapeAsync(metricsUrl, cancel)).Sum("davecast_gc_full_collections_total");

    private static async Task RequestAsync(int pid, CancellationToken cancel)
    {
        var client = new DiagnosticsClient(pid);
        var provider = new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcHeapCollectKeyword);
        using var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 1, cancel);
        // The session's few events are read and dropped, so that the runtime never waits on a full socket.
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancel);
        await session.StopAsync(cancel);
        await drain;
    }
}
