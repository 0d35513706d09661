using System.Diagnostics.Metrics;

namespace Davecast.Metrics;

/// <summary>
/// Instruments every program with a <c>/metrics</c> exports alike (meter <see cref="MeterName"/>): the managed heap and
/// the count of full collections, so that a soak can tell a leak from the resident set's noise. Read when Prometheus scrapes.
/// </summary>
public sealed class RuntimeMetrics
{
    public const string MeterName = "Davecast.Runtime";

    public RuntimeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        // Prometheus name davecast_gc_heap_bytes: the heap's size after the last collection, fragmentation included.
        meter.CreateObservableGauge("davecast.gc_heap", () => GC.GetGCMemoryInfo().HeapSizeBytes, "By", "Managed heap size after the last garbage collection");
        // davecast_gc_live_bytes: what the last full blocking collection kept, its free space left out. That space (chiefly the
        // large-object heap's, never compacted) follows the sizes of buffers that came and went, not what the program holds.
        meter.CreateObservableGauge("davecast.gc_live", () => LiveAfterFullCollection(), "By", "Live objects after the last full blocking garbage collection (heap less its free space)");
        // davecast_gc_full_collections_total: tells whether that last collection was a full one (a soak induces one, then reads the heap).
        meter.CreateObservableCounter("davecast.gc_full_collections", () => (long)GC.CollectionCount(GC.MaxGeneration), "{collection}", "Full (oldest-generation) garbage collections since start");
    }

    private static long LiveAfterFullCollection()
    {
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return info.HeapSizeBytes - info.FragmentedBytes;
    }
}
