using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Davecast.Tests.Support;

/// <summary>
/// An HLS client for tests: reloads one media playlist a few times a second until disposed, keeps every playlist
/// text it got, and fetches each segment it lists once, keyed by media sequence number.
/// </summary>
public sealed partial class HlsRecorder : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _playlists = [];

    public HlsRecorder(string playlistUrl)
    {
        Url = playlistUrl;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string Url { get; }

    /// <summary>Segments fetched, by media sequence number.</summary>
    public ConcurrentDictionary<long, byte[]> Segments { get; } = new();

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
                lock (_playlists)
                    if (_playlists.Count == 0 || _playlists[^1] != text) _playlists.Add(text);
                var base_ = new Uri(Url);
                long sequence = long.Parse(MediaSequence().Match(text).Groups[1].Value);
                foreach (var line in text.Split('\n'))
                {
                    if (line.Length == 0 || line.StartsWith('#')) continue;
                    long n = sequence++;
                    if (!Segments.ContainsKey(n)) Segments[n] = await _http.GetByteArrayAsync(new Uri(base_, line), ct);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
            {
                LastError = e.Message;
            }
            try
            {
                await Task.Delay(300, ct);
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
