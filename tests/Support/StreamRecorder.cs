using System.Diagnostics;

namespace Davecast.Tests.Support;

/// <summary>A real HTTP listener: reads a stream as fast as it comes and records what arrived when.</summary>
public sealed class StreamRecorder : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _data = new();
    private readonly List<(TimeSpan At, long Bytes)> _arrivals = [];
    private readonly Stopwatch _clock = new();
    private Task? _reader;

    public HttpResponseMessage? Response { get; private set; }

    /// <summary>Now, on the clock of <see cref="Arrivals"/> (it starts when the request is sent): to mark faults.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Connects and starts reading; returns once the response headers arrived.</summary>
    public async Task<HttpResponseMessage> StartAsync(string url, IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (headers is not null) foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
        _clock.Start();
        Response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        if (Response.IsSuccessStatusCode) _reader = ReadAsync(await Response.Content.ReadAsStreamAsync(_stop.Token));
        return Response;
    }

    private async Task ReadAsync(Stream body)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await body.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                lock (_data)
                {
                    _data.Write(buffer, 0, n);
                    _arrivals.Add((_clock.Elapsed, _data.Length));
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        Ended = true;
    }

    /// <summary>The server closed the stream.</summary>
    public bool Ended { get; private set; }

    public long Length
    {
        get
        {
            lock (_data) return _data.Length;
        }
    }

    public byte[] Bytes()
    {
        lock (_data) return _data.ToArray();
    }

    public IReadOnlyList<(TimeSpan At, long Bytes)> Arrivals()
    {
        lock (_data) return [.. _arrivals];
    }

    /// <summary>Longest time between two arrivals after <paramref name="from"/>.</summary>
    public TimeSpan LongestSilence(TimeSpan from)
    {
        var arrivals = Arrivals();
        var longest = TimeSpan.Zero;
        for (int i = 1; i < arrivals.Count; i++)
            if (arrivals[i].At >= from && arrivals[i].At - arrivals[i - 1].At > longest) longest = arrivals[i].At - arrivals[i - 1].At;
        return longest;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_reader is not null) await _reader;
        Response?.Dispose();
        _http.Dispose();
    }
}
