using System.Globalization;
using System.Text;
using Davecast.Bench.Measure;
using Davecast.Tests.Support;

namespace Davecast.Tests.Soak;

/// <summary>
/// The soak's resource figures for every process (relays, edges, publishers, redis): RSS, open file descriptors,
/// threads and, where the program exports it on /metrics, its managed heap (davecast_gc_heap_bytes). Each process is
/// sampled once its warm-up is over (a process a fault restarted: from its own start) and at the end; each figure
/// must stay within <see cref="Tolerance"/> of the first. Just before each sample of a .NET process, a full collection
/// is induced in it (<see cref="InducedCollection"/>), so that both samples read the heap and the resident set at the
/// same point of its collection cycle, not wherever its last young collection left them. A process a fault killed or
/// stopped is left out of the comparison, with a note.
/// </summary>
public sealed class SoakProcesses(TimeSpan warmUp)
{
    public const double Tolerance = 0.10;

    /// <summary>One sample; <paramref name="GcHeapBytes"/> is the heap after the induced full collection (null: not .NET, or it could not be induced).</summary>
    public sealed record Figures(long RssKb, int Fds, int Threads, double? GcHeapBytes);

    private sealed class Entry(string name, Func<int> pid, string? metricsUrl, DateTime started)
    {
        public string Name { get; } = name;
        public Func<int> Pid { get; } = pid;
        public string? MetricsUrl { get; } = metricsUrl;
        public DateTime Started { get; set; } = started;
        public Figures? First { get; set; }
        public DateTime FirstAt { get; set; }
        public Figures? Last { get; set; }
        public string? Excluded { get; set; }
    }

    private readonly List<Entry> _entries = [];

    /// <summary>A process to watch, from now; <paramref name="metricsUrl"/> is its /metrics (null: it has none, and is not .NET).</summary>
    public void Add(string name, Func<int> pid, string? metricsUrl)
    {
        lock (_entries) _entries.Add(new Entry(name, pid, metricsUrl, DateTime.UtcNow));
    }

    /// <summary>The load is on from now (every listener connected): the warm-up of every process so far counts from here.</summary>
    public void LoadBegins()
    {
        var now = DateTime.UtcNow;
        lock (_entries)
            foreach (var e in _entries) e.Started = now;
    }

    /// <summary>A fault killed or stopped the process: it is left out of the comparison.</summary>
    public void Exclude(string name, string why)
    {
        lock (_entries)
            foreach (var e in _entries.Where(e => e.Name == name && e.Excluded is null)) e.Excluded = why;
    }

    /// <summary>Takes the first figures of every process whose warm-up has just ended.</summary>
    public async Task SampleWarmedUpAsync()
    {
        foreach (var e in Snapshot().Where(e => e.First is null && e.Excluded is null && DateTime.UtcNow - e.Started >= warmUp))
        {
            e.First = await ReadAsync(e);
            e.FirstAt = DateTime.UtcNow;
        }
    }

    /// <summary>The last figures of every process still counted.</summary>
    public async Task SampleEndAsync()
    {
        foreach (var e in Snapshot().Where(e => e.Excluded is null && e.First is not null)) e.Last = await ReadAsync(e);
    }

    private List<Entry> Snapshot()
    {
        lock (_entries) return [.. _entries];
    }

    private static async Task<Figures?> ReadAsync(Entry e)
    {
        int pid = e.Pid();
        double? heap = null;
        if (e.MetricsUrl is { } url)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await InducedCollection.RunAsync(pid, url, limit.Token);
                heap = (await PrometheusText.ScrapeAsync(url)).Sum("davecast_gc_heap_bytes");
            }
            catch (Exception x) when (x is HttpRequestException or OperationCanceledException or InvalidOperationException or FormatException
                                           or IOException or Microsoft.Diagnostics.NETCore.Client.DiagnosticsClientException)
            {
                // Gone, or not answering: its heap is left out (a dash in the table) rather than read at another point of its cycle.
            }
        }
        if (ProcStat.Read(pid) is not { } stat || ProcStat.OpenFiles(pid) is not { } fds || ProcStat.Threads(pid) is not { } threads) return null;
        return new Figures(stat.RssKb, fds, threads, heap);
    }

    /// <summary>Whether every figure of every compared process held; the table says which did not.</summary>
    public bool AllHeld => Snapshot().Where(e => e.First is not null && e.Last is not null).All(e => Drifts(e.First!, e.Last!).Count == 0);

    private static List<string> Drifts(Figures first, Figures last)
    {
        var drifts = new List<string>();
        void Check(string what, double a, double b)
        {
            if (a <= 0 ? b > 0 : Math.Abs(b - a) / a > Tolerance) drifts.Add($"{what} {Change(a, b)}");
        }
        Check("rss", first.RssKb, last.RssKb);
        Check("fds", first.Fds, last.Fds);
        Check("threads", first.Threads, last.Threads);
        if (first.GcHeapBytes is { } h0 && last.GcHeapBytes is { } h1) Check("gc heap", h0, h1);
        return drifts;
    }

    /// <summary>The resource table, Markdown: first and last figures, and whether each held within ±10 %.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| process | first figures at | RSS MB (first → end) | fds | threads | GC heap MB | within ±10 % |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var e in Snapshot())
        {
            string at = e.First is null ? "-" : e.FirstAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            if (e.First is not { } a || e.Last is not { } b)
            {
                string why = e.Excluded ?? (e.First is null ? "started less than a warm-up before the end" : "gone at the end");
                sb.AppendLine($"| {e.Name} | {at} | {Mb(e.First?.RssKb * 1024.0)} | {e.First?.Fds.ToString(CultureInfo.InvariantCulture) ?? "-"} | "
                    + $"{e.First?.Threads.ToString(CultureInfo.InvariantCulture) ?? "-"} | {Mb(e.First?.GcHeapBytes)} | not compared: {why} |");
                continue;
            }
            var drifts = Drifts(a, b);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {e.Name} | {at} | {Mb(a.RssKb * 1024.0)} → {Mb(b.RssKb * 1024.0)} ({Change(a.RssKb, b.RssKb)}) | {a.Fds} → {b.Fds} | {a.Threads} → {b.Threads} | "
                + $"{(a.GcHeapBytes is { } h0 && b.GcHeapBytes is { } h1 ? $"{Mb(h0)} → {Mb(h1)} ({Change(h0, h1)})" : "-")} | {(drifts.Count == 0 ? "yes" : "NO: " + string.Join(", ", drifts))} |"));
        }
        return sb.ToString();
    }

    private static string Change(double a, double b) =>
        a <= 0 ? (b > 0 ? "+inf" : "0 %") : string.Create(CultureInfo.InvariantCulture, $"{(b - a) / a * 100:+0;-0;0} %");

    private static string Mb(double? bytes) => bytes is { } v ? (v / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) : "-";
}
