using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Davecast.Tests.Support;

/// <summary>
/// An HLS client for tests: reloads one media playlist ten times a second until disposed, keeps every playlist
/// text it got, fetches each segment it lists once, keyed by media sequence number, and notes when each segment
/// first appeared in the playlist (for latency).
/// </summary>
public sealed partial class HlsRecorder : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _playlists = [];
    private long _initialNewest = -1;

    public HlsRecorder(string playlistUrl)
    {
        Url = playlistUrl;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string Url { get; }

    /// <summary>Segments fetched, by media sequence number.</summary>
    public ConcurrentDictionary<long, byte[]> Segments { get; } = new();

    /// <summary>Per segment: when this client first saw it listed, its program date-time and its duration.</summary>
    public ConcurrentDictionary<long, (DateTimeOffset Seen, DateTimeOffset Start, double Seconds)> Appeared { get; } = new();

    /// <summary>Every distinct playlist text, in the order received.</summary>
    public IReadOnlyList<string> Playlists
    {
        get
        {
            lock (_playlists) return [.. _playlists];
        }
    }

    /// <summary>The last failure to fetch, for messages.</summary>
    public string? LastError { get; private set; }

    /// <summary>The highest media sequence number fetched, -1 before any.</summary>
    public long Newest => Segments.IsEmpty ? -1 : Segments.Keys.Max();

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var text = await _http.GetStringAsync(Url, ct);
                var seen = DateTimeOffset.UtcNow;
                lock (_playlists)
                    if (_playlists.Count == 0 || _playlists[^1] != text) _playlists.Add(text);
                var base_ = new Uri(Url);
                long sequence = long.Parse(MediaSequence().Match(text).Groups[1].Value);
                DateTimeOffset start = default;
                double seconds = 0;
                foreach (var line in text.Split('\n'))
                {
                    if (line.StartsWith("#EXT-X-PROGRAM-DATE-TIME:", StringComparison.Ordinal))
                        start = DateTimeOffset.Parse(line[25..], System.Globalization.CultureInfo.InvariantCulture);
                    if (line.StartsWith("#EXTINF:", StringComparison.Ordinal))
                        seconds = double.Parse(line[8..].TrimEnd(','), System.Globalization.CultureInfo.InvariantCulture);
                    if (line.Length == 0 || line.StartsWith('#')) continue;
                    long n = sequence++;
                    Appeared.TryAdd(n, (seen, start, seconds));
                    if (!Segments.ContainsKey(n)) Segments[n] = await _http.GetByteArrayAsync(new Uri(base_, line), ct);
                }
                // Those of the first load were listed before this client looked: when they appeared is not known.
                if (_initialNewest < 0) _initialNewest = sequence - 1;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
            {
                LastError = e.Message;
            }
            try
            {
                await Task.Delay(100, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The newest run of consecutive segments, oldest first.</summary>
    public IReadOnlyList<(long Sequence, byte[] Data)> Run()
    {
        var keys = Segments.Keys.OrderDescending().ToList();
        int length = 1;
        while (length < keys.Count && keys[length] == keys[length - 1] - 1) length++;
        return [.. keys.Take(length).Reverse().Select(k => (k, Segments[k]))];
    }

    /// <summary>
    /// From a frame's media time (when the publisher sent it: it paces frames to the wall clock by their timestamps)
    /// to its segment's first listing here, over every 10 ms of audio of the segments seen appear (not those listed
    /// at the first load): the 50th and 99th percentiles, in seconds. Up to the reload period (0.1 s) late.
    /// </summary>
    public (double P50, double P99, int Segments) Latency()
    {
        var latencies = new List<double>();
        int segments = 0;
        foreach (var (n, a) in Appeared)
        {
            if (n <= _initialNewest || a.Seconds <= 0) continue;
            segments++;
            for (double t = 0; t < a.Seconds; t += 0.01) latencies.Add((a.Seen - a.Start).TotalSeconds - t);
        }
        if (latencies.Count == 0) return (double.NaN, double.NaN, 0);
        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)], segments);
    }

    [GeneratedRegex(@"#EXT-X-MEDIA-SEQUENCE:(\d+)")]
    private static partial Regex MediaSequence();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _http.Dispose();
        _stop.Dispose();
    }
}
