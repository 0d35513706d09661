using System.Diagnostics;
using Xunit.Abstractions;

namespace Davecast.Tests.Support;

/// <summary>
/// <see cref="InducedCollection"/> on a real process: a publisher streaming a file, whose /metrics counts its full
/// collections. It allocates as it streams and has no reason of its own to collect fully within seconds.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class InducedCollectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_full_collection_induced_from_outside_is_counted_by_the_process_when_it_returns()
    {
        int metricsPort = Ports.Free();
        string metrics = $"http://127.0.0.1:{metricsPort}/metrics";
        using var publisher = new ChildProcess("publisher", "dotnet",
            [Repo.ProgramDll("publisher", "davecast-publisher"), "--mount", "gc.aac", "--file", Repo.Fixture("programme.aac"), "--loop",
             "--relay", $"127.0.0.1:{Ports.Free()}", "--metrics-listen", $"{metricsPort}"],
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Development" });
        PrometheusText? before = null;
        await Wait.UntilAsync(async () =>
        {
            try
            {
                before = await PrometheusText.ScrapeAsync(metrics);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "the publisher's /metrics");

        output.WriteLine($"/metrics answered {(DateTime.Now - Process.GetProcessById(publisher.Pid).StartTime).TotalSeconds:F1} s after the start");
        var took = Stopwatch.StartNew();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            await InducedCollection.RunAsync(publisher.Pid, metrics, limit.Token);
        output.WriteLine($"induced and counted in {took.ElapsedMilliseconds} ms");

        // The count has moved by the time RunAsync returns.
        var after = await PrometheusText.ScrapeAsync(metrics);
        double full0 = before!.Sum("davecast_gc_full_collections_total"), full1 = after.Sum("davecast_gc_full_collections_total");
        Assert.True(full1 > full0, $"full collections {full0} before, {full1} after\n{publisher.Output}");
        // The heap is now the one that full collection left: live objects, a few MB at most for a publisher.
        double heap = after.Sum("davecast_gc_heap_bytes");
        Assert.InRange(heap, 1, 64 * 1024 * 1024);
        // The objects that collection kept: the heap less its free space, which the soak judges instead of the heap.
        double live = after.Sum("davecast_gc_live_bytes");
        Assert.InRange(live, 1, heap);
        Assert.False(publisher.HasExited, publisher.Output);
    }
}
