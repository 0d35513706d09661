using System.Globalization;
using System.Text;
using Davecast.Bench.Measure;
using Davecast.Tests.Support;

namespace Davecast.Tests.Soak;

/// <summary>
/// The soak's resource figures for every process (relays, edges, publishers, redis): RSS, open file descriptors,
/// threads and, where the program exports it on /metrics, its managed heap: the live objects (davecast_gc_live_bytes), judged,
/// and the heap with its free space (davecast_gc_heap_bytes), reported. Each process is
/// sampled once its warm-up is over (a process a fault restarted: at the age the first ones had then, <see cref="WarmUpAge"/>) and at the end; each figure
/// must stay within <see cref="Tolerance"/> of the first. Just before each sample of a .NET process, a full collection
/// is induced in it (<see cref="InducedCollection"/>), so that both samples read the heap and the resident set at the
/// same point of its collection cycle, not wherever its last young collection left them. A process a fault killed or
/// stopped is left out of the comparison, with a note. Threads are counted at rest (<see cref="SettledCount"/>): the least
/// of the counts read every <see cref="ThreadBeat"/> over the <see cref="ThreadWindow"/> before each sample. Relays and edges
/// are also read every <see cref="SeriesEvery"/> (again after an induced collection), so that the report shows whether
/// their heap and RSS level off or keep growing.
/// </summary>
public sealed class SoakProcesses(TimeSpan warmUp)
{
    public const double Tolerance = 0.10;

    /// <summary>How often each process's threads are counted between samples.</summary>
    public static readonly TimeSpan ThreadBeat = TimeSpan.FromSeconds(5);

    /// <summary>Three times the 20 s after which the thread pool retires an idle worker.</summary>
    public static readonly TimeSpan ThreadWindow = TimeSpan.FromSeconds(60);

    /// <summary>How often the heap and RSS of relays and edges are read in between.</summary>
    public static readonly TimeSpan SeriesEvery = TimeSpan.FromMinutes(3);

    /// <summary>
    /// One sample; <paramref name="GcLiveBytes"/> is what the induced full collection kept, <paramref name="GcHeapBytes"/> the heap it
    /// left, free space included (both null: not .NET, or it could not be induced).
    /// </summary>
    public sealed record Figures(long RssKb, int Fds, int Threads, double? GcLiveBytes, double? GcHeapBytes);

    private sealed class Entry(string name, Func<int> pid, string? metricsUrl, bool series, DateTime started)
    {
        public string Name { get; } = name;
        public Func<int> Pid { get; } = pid;
        public string? MetricsUrl { get; } = metricsUrl;
        public bool Series { get; } = series;
        public SettledCount Threads { get; } = new(ThreadWindow);
        public DateTime ThreadsReadAt { get; set; }
        public List<(TimeSpan After, Figures Figures)> Readings { get; } = [];
        public DateTime Started { get; } = started;
        public Figures? First { get; set; }
        public DateTime FirstAt { get; set; }
        public Figures? Last { get; set; }
        public string? Excluded { get; set; }
    }

    private readonly List<Entry> _entries = [];
    private readonly WarmUpAge _age = new(warmUp, DateTime.UtcNow);
    private DateTime _loadBegan = DateTime.UtcNow;
    private DateTime _seriesAt = DateTime.MaxValue;

    /// <summary>
    /// A process to watch, from now; <paramref name="metricsUrl"/> is its /metrics (null: it has none, and is not .NET);
    /// <paramref name="series"/>: read every <see cref="SeriesEvery"/> too (relays and edges).
    /// </summary>
    public void Add(string name, Func<int> pid, string? metricsUrl, bool series = false)
    {
        lock (_entries) _entries.Add(new Entry(name, pid, metricsUrl, series, DateTime.UtcNow));
    }

    /// <summary>The load is on from now (every listener connected): the warm-up of every process so far counts from here.</summary>
    public void LoadBegins()
    {
        var now = DateTime.UtcNow;
        _loadBegan = now;
        _seriesAt = now + SeriesEvery;
        _age.LoadBegins(now);
    }

    /// <summary>How long a process a fault restarted runs before its first figures (<see cref="WarmUpAge"/>).</summary>
    public TimeSpan? RestartedWarmUp => _age.OfRestarted;

    /// <summary>Counts the threads of every process not counted for a <see cref="ThreadBeat"/>; the soak calls it on its beat.</summary>
    public void CountThreads()
    {
        var now = DateTime.UtcNow;
        foreach (var e in Snapshot().Where(e => e.Excluded is null && now - e.ThreadsReadAt >= ThreadBeat))
        {
            e.ThreadsReadAt = now;
            if (ProcStat.Threads(e.Pid()) is { } threads) e.Threads.Add(now, threads);
        }
    }

    /// <summary>Every <see cref="SeriesEvery"/> of load, reads the relays and edges still counted.</summary>
    public async Task SampleSeriesAsync()
    {
        if (DateTime.UtcNow < _seriesAt) return;
        _seriesAt += SeriesEvery;
        await ReadSeriesAsync();
    }

    private async Task ReadSeriesAsync()
    {
        var now = DateTime.UtcNow - _loadBegan;
        // Not again within half a beat of its first figures.
        foreach (var e in Snapshot().Where(e => e.Series && e.Excluded is null && e.First is not null && now - e.Readings[^1].After >= SeriesEvery / 2))
            if (await ReadAsync(e) is { } figures) e.Readings.Add((DateTime.UtcNow - _loadBegan, figures));
    }

    /// <summary>A fault killed or stopped the process: it is left out of the comparison.</summary>
    public void Exclude(string name, string why)
    {
        lock (_entries)
            foreach (var e in _entries.Where(e => e.Name == name && e.Excluded is null)) e.Excluded = why;
    }

    /// <summary>Takes the first figures of every process whose warm-up has just ended; none while <paramref name="held"/>.</summary>
    public async Task SampleWarmedUpAsync(bool held = false)
    {
        if (held) return;
        foreach (var e in Snapshot().Where(e => e.First is null && e.Excluded is null && _age.Due(e.Started) <= DateTime.UtcNow))
        {
            e.First = await ReadAsync(e);
            e.FirstAt = DateTime.UtcNow;
            if (e.Series && e.First is { } first) e.Readings.Add((e.FirstAt - _loadBegan, first));
        }
    }

    /// <summary>The last figures of every process still counted.</summary>
    public async Task SampleEndAsync()
    {
        foreach (var e in Snapshot().Where(e => e.Excluded is null && e.First is not null))
        {
            e.Last = await ReadAsync(e);
            if (e.Series && e.Last is { } last) e.Readings.Add((DateTime.UtcNow - _loadBegan, last));
        }
    }

    private List<Entry> Snapshot()
    {
        lock (_entries) return [.. _entries];
    }

    private static async Task<Figures?> ReadAsync(Entry e)
    {
        int pid = e.Pid();
        double? live = null, heap = null;
        if (e.MetricsUrl is { } url)
        {
            try
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await InducedCollection.RunAsync(pid, url, limit.Token);
                var metrics = await PrometheusText.ScrapeAsync(url);
                live = metrics.Sum("davecast_gc_live_bytes");
                heap = metrics.Sum("davecast_gc_heap_bytes");
            }
            catch (Exception x) when (x is HttpRequestException or OperationCanceledException or InvalidOperationException or FormatException
                                           or IOException or Microsoft.Diagnostics.NETCore.Client.DiagnosticsClientException)
            {
                // Gone, or not answering: its heap is left out (a dash in the table) rather than read at another point of its cycle.
            }
        }
        if (ProcStat.Read(pid) is not { } stat || ProcStat.OpenFiles(pid) is not { } fds || ProcStat.Threads(pid) is not { } threads) return null;
        e.Threads.Add(DateTime.UtcNow, threads);
        return new Figures(stat.RssKb, fds, e.Threads.Least(DateTime.UtcNow) ?? threads, live, heap);
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
        if (first.GcLiveBytes is { } h0 && last.GcLiveBytes is { } h1) Check("gc live heap", h0, h1);
        return drifts;
    }

    /// <summary>The resource table, Markdown: first and last figures, and whether each held within ±10 %.</summary>
    public string Table()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| process | first figures at | RSS MB (first → end) | fds | threads | GC live heap MB | GC heap with free space MB | within ±10 % |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        foreach (var e in Snapshot())
        {
            string at = e.First is null ? "-" : e.FirstAt.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
            if (e.First is not { } a || e.Last is not { } b)
            {
                string why = e.Excluded ?? (e.First is null ? "started less than a warm-up before the end" : "gone at the end");
                sb.AppendLine($"| {e.Name} | {at} | {Mb(e.First?.RssKb * 1024.0)} | {e.First?.Fds.ToString(CultureInfo.InvariantCulture) ?? "-"} | "
                    + $"{e.First?.Threads.ToString(CultureInfo.InvariantCulture) ?? "-"} | {Mb(e.First?.GcLiveBytes)} | {Mb(e.First?.GcHeapBytes)} | not compared: {why} |");
                continue;
            }
            var drifts = Drifts(a, b);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {e.Name} | {at} | {Mb(a.RssKb * 1024.0)} → {Mb(b.RssKb * 1024.0)} ({Change(a.RssKb, b.RssKb)}) | {a.Fds} → {b.Fds} | {a.Threads} → {b.Threads} | "
                + $"{Compared(a.GcLiveBytes, b.GcLiveBytes)} | {Compared(a.GcHeapBytes, b.GcHeapBytes)} | {(drifts.Count == 0 ? "yes" : "NO: " + string.Join(", ", drifts))} |"));
        }
        return sb.ToString();
    }

    /// <summary>Markdown: the heap and RSS of each relay and edge at every reading, minutes after the load began.</summary>
    public string SeriesTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| process | minutes of load: GC live heap MB / with free space MB / RSS MB / threads |");
        sb.AppendLine("|---|---|");
        foreach (var e in Snapshot().Where(e => e.Readings.Count > 0))
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {e.Name} | {string.Join("; ", e.Readings.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"{r.After.TotalMinutes:F0}: {Mb(r.Figures.GcLiveBytes)} / {Mb(r.Figures.GcHeapBytes)} / {Mb(r.Figures.RssKb * 1024.0)} / {r.Figures.Threads}")))} |");
        return sb.ToString();
    }

    private static string Compared(double? first, double? last) =>
        first is { } a && last is { } b ? $"{Mb(a)} → {Mb(b)} ({Change(a, b)})" : "-";

    private static string Change(double a, double b) =>
        a <= 0 ? (b > 0 ? "+inf" : "0 %") : string.Create(CultureInfo.InvariantCulture, $"{(b - a) / a * 100:+0;-0;0} %");

    private static string Mb(double? bytes) => bytes is { } v ? (v / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) : "-";
}
